namespace Mediation;

/// <summary>
/// The JSON body of the instruction webhook (camelCase through <see cref="MediationJson.Options"/>): the instruction's
/// fields and <c>type: "instruction"</c>. The receiver applies it at most once by <see cref="InstructionId"/>, which
/// is also the <c>Idempotency-Key</c> header.
/// </summary>
public sealed record InstructionWebhook(
    string Type,
    string InstructionId,
    string DisputeId,
    string OrderId,
    string ConsumerId,
    string MerchantId,
    Remedy Remedy,
    decimal Amount,
    string Currency,
    bool ReturnFirst,
    bool Guaranteed,
    DateTimeOffset IssuedAt,
    DateTimeOffset DueBy,
    string Source)
{
    public const string InstructionType = "instruction";

    public static InstructionWebhook From(Instruction i) => new(InstructionType, i.InstructionId, i.DisputeId, i.OrderId,
        i.ConsumerId, i.MerchantId, i.Remedy, i.Amount, i.Currency, i.ReturnFirst, i.Guaranteed, i.IssuedAt, i.DueBy, i.Source);
}
