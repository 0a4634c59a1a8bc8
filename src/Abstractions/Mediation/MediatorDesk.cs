namespace Mediation;

/// <summary>One case waiting in a city's queue, or assigned.</summary>
[GenerateSerializer, Immutable, Alias("Mediation.QueuedCase")]
public sealed record QueuedCase(
    [property: Id(0)] string DisputeId,
    [property: Id(1)] DateTimeOffset EscalatedAt,
    /// <summary>Null while waiting.</summary>
    [property: Id(2)] string? MediatorId,
    [property: Id(3)] DateTimeOffset? AssignedAt);

[GenerateSerializer, Immutable, Alias("Mediation.MediatorQueue")]
public sealed record MediatorQueue(
    [property: Id(0)] string MediatorId,
    [property: Id(1)] string City,
    [property: Id(2)] bool Available,
    /// <summary>This mediator's open cases.</summary>
    [property: Id(3)] IReadOnlyList<QueuedCase> MyCases,
    /// <summary>The city's unassigned cases, oldest first.</summary>
    [property: Id(4)] IReadOnlyList<QueuedCase> Waiting);

/// <summary>A city's mediation desk (keyed by city): its queue, its mediators, and who takes which case.</summary>
[Alias("Mediation.IMediationDeskGrain")]
public interface IMediationDeskGrain : IGrainWithStringKey
{
    /// <summary>An escalated dispute joins the queue; answers the mediator it was assigned to at once, if any.</summary>
    [Alias("Enqueue")]
    Task<string?> EnqueueAsync(string disputeId, DateTimeOffset escalatedAt);

    /// <summary>A mediator's case ended (settled, ruled, withdrawn): their load drops.</summary>
    [Alias("CaseEnded")]
    Task CaseEndedAsync(string disputeId);

    [Alias("SetAvailability")]
    Task<MediatorQueue> SetAvailabilityAsync(Caller caller, bool available);

    [Alias("Queue")]
    Task<MediatorQueue> GetQueueAsync(Caller caller);
}
