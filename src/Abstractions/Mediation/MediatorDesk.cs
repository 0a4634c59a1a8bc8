namespace Mediation;

/// <summary>One case waiting in a city's queue, or assigned.</summary>
[GenerateSerializer, Immutable, Alias("Mediation.QueuedCase")]
public sealed record QueuedCase(
    [property: Id(0)] string DisputeId,
    [property: Id(1)] DateTimeOffset EscalatedAt,
    /// <summary>Null while waiting.</summary>
    [property: Id(2)] string? MediatorId,
    [property: Id(3)] DateTimeOffset? AssignedAt,
    /// <summary>A complaint forwarded by a consumers' association or regulator: taken before the others.</summary>
    [property: Id(4)] bool Priority = false)
{
    /// <summary>The desk's order: prioritised cases first, then the oldest escalation first.</summary>
    public static IOrderedEnumerable<QueuedCase> InDeskOrder(IEnumerable<QueuedCase> cases) =>
        cases.OrderByDescending(c => c.Priority).ThenBy(c => c.EscalatedAt);
}

[GenerateSerializer, Immutable, Alias("Mediation.MediatorQueue")]
public sealed record MediatorQueue(
    [property: Id(0)] string MediatorId,
    [property: Id(1)] string City,
    [property: Id(2)] bool Available,
    /// <summary>This mediator's open cases.</summary>
    [property: Id(3)] IReadOnlyList<QueuedCase> MyCases,
    /// <summary>The city's unassigned cases, prioritised first, then oldest first.</summary>
    [property: Id(4)] IReadOnlyList<QueuedCase> Waiting);

/// <summary>A city's mediation desk (keyed by city): its queue, its mediators, and who takes which case.</summary>
[Alias("Mediation.IMediationDeskGrain")]
public interface IMediationDeskGrain : IGrainWithStringKey
{
    /// <summary>
    /// An escalated dispute joins the queue (a <paramref name="priority"/> one ahead of the others); answers the
    /// mediator it was assigned to at once, if any.
    /// </summary>
    [Alias("Enqueue")]
    Task<string?> EnqueueAsync(string disputeId, DateTimeOffset escalatedAt, bool priority);

    /// <summary>A mediator's case ended (settled, ruled, withdrawn): their load drops.</summary>
    [Alias("CaseEnded")]
    Task CaseEndedAsync(string disputeId);

    [Alias("SetAvailability")]
    Task<MediatorQueue> SetAvailabilityAsync(Caller caller, bool available);

    [Alias("Queue")]
    Task<MediatorQueue> GetQueueAsync(Caller caller);
}
