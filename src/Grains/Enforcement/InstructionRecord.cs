using Mediation.Grains.Webhooks;

namespace Mediation.Grains.Enforcement;

/// <summary>An instruction's outbox entry and its outcome, as stored.</summary>
[GenerateSerializer, Alias("Mediation.InstructionRecord")]
public sealed class InstructionRecord : IWebhookOutboxEntry
{
    [Id(0)] public Instruction? Instruction { get; set; }
    [Id(1)] public InstructionOutcome? Outcome { get; set; }
    [Id(2)] public string? Reason { get; set; }
    [Id(3)] public DateTimeOffset? ReportedAt { get; set; }
    [Id(4)] public int DeliveryAttempts { get; set; }
    [Id(5)] public bool Delivered { get; set; }
    /// <summary>When the next webhook attempt is due while undelivered.</summary>
    [Id(6)] public DateTimeOffset? NextAttemptAt { get; set; }
    /// <summary>Reports the dispute has not yet acknowledged, oldest first.</summary>
    [Id(7)] public List<InstructionNotice> Unnotified { get; set; } = [];

    public bool AwaitsDelivery => Instruction is not null && !Delivered;
    public bool HasWork => AwaitsDelivery || Unnotified.Count > 0;

    public InstructionStatus Status() => new(Instruction!, Outcome, Reason, DeliveryAttempts, Delivered, ReportedAt);
}

/// <summary>A report to pass on to the dispute.</summary>
[GenerateSerializer, Immutable, Alias("Mediation.InstructionNotice")]
public sealed record InstructionNotice([property: Id(0)] InstructionOutcome Outcome, [property: Id(1)] string? Reason);
