namespace Mediation;

/// <summary>Names of the Orleans streams on which grains publish what the edge fans out.</summary>
public static class MediationStreams
{
    public const string Provider = "mediation";
    /// <summary>One stream per dispute, keyed by dispute id: <see cref="DisputeStreamItem"/>.</summary>
    public const string Disputes = "dispute";
    /// <summary>One stream per merchant, keyed by merchant id: <see cref="DisputeSummaryEvent"/>.</summary>
    public const string Merchants = "merchant";
    /// <summary>One stream per consumer, keyed by consumer id: <see cref="DisputeSummaryEvent"/>.</summary>
    public const string Consumers = "consumer";
    /// <summary>One stream per city's mediation desk, keyed by city: <see cref="DeskNews"/>.</summary>
    public const string Desks = "desk";
}

/// <summary>What travels on a dispute's stream: a durable timeline event, or a transient signal.</summary>
[GenerateSerializer, Immutable, Alias("Mediation.DisputeStreamItem")]
public sealed record DisputeStreamItem(
    [property: Id(0)] DisputeEvent? Event,
    [property: Id(1)] PartySignal? Signal)
{
    // Set only when the event carries personal data that some readers see masked: each audience's copy.
    [Id(2)] public DisputeEvent? ForConsumer { get; init; }
    [Id(3)] public DisputeEvent? ForMerchant { get; init; }
    /// <summary>Mediators and anyone else who is not a party.</summary>
    [Id(4)] public DisputeEvent? ForOthers { get; init; }
    /// <summary>
    /// The W3C trace context of the call that produced the event, so that the edge's push joins its trace: the
    /// stream's delivery runs in the pulling agent's context, not the publisher's. Transient, never in the timeline.
    /// </summary>
    [Id(5)] public string? TraceParent { get; init; }
}

/// <summary>Presence: who is typing (until when), or who has read up to which seq. Never in the timeline.</summary>
[GenerateSerializer, Immutable, Alias("Mediation.PartySignal")]
public sealed record PartySignal(
    [property: Id(0)] string DisputeId,
    [property: Id(1)] string Kind,
    [property: Id(2)] string UserId,
    [property: Id(3)] string Role,
    [property: Id(4)] DateTimeOffset At)
{
    public const string Typing = "typing";
    public const string TypingStopped = "typingStopped";
    public const string Read = "read";

    /// <summary>For <c>typing</c>: when the indicator goes away by itself.</summary>
    [Id(5)] public DateTimeOffset? Until { get; init; }
    /// <summary>For <c>read</c>: the highest seq the party has read.</summary>
    [Id(6)] public long? Seq { get; init; }
}

/// <summary>One line of news for a merchant's or consumer's console about one of its disputes.</summary>
[GenerateSerializer, Immutable, Alias("Mediation.DisputeSummaryEvent")]
public sealed record DisputeSummaryEvent(
    [property: Id(0)] string DisputeId,
    /// <summary><c>Opened</c>, <c>Message</c>, <c>Offer</c>, <c>StateChanged</c>, <c>DeadlineWarning</c>, … — the type of the latest event.</summary>
    [property: Id(1)] string Kind,
    [property: Id(2)] long Seq,
    [property: Id(3)] DisputeState State,
    [property: Id(4)] DateTimeOffset At,
    [property: Id(5)] DateTimeOffset? NextDeadline,
    [property: Id(6)] DeadlineKind? NextDeadlineKind,
    /// <summary>Events the receiving party has not read yet.</summary>
    [property: Id(7)] long Unread,
    [property: Id(8)] string OrderId);

/// <summary>A city's desk as it stands now: every case waiting or assigned (one stream per city, keyed by city).</summary>
[GenerateSerializer, Immutable, Alias("Mediation.DeskNews")]
public sealed record DeskNews(
    [property: Id(0)] string City,
    [property: Id(1)] IReadOnlyList<QueuedCase> Cases,
    [property: Id(2)] DateTimeOffset At);
