namespace Mediation.Grains.Disputes;

/// <summary>
/// Whose phone numbers and addresses a reader of a dispute sees. A party's own texts are its own; the other party
/// sees them masked until the remedy needs them — the consumer the merchant's (a return address, a phone) while a
/// return is owed, the merchant the consumer's (a delivery phone and address) once the outcome is an exchange or a
/// repair sent back to the consumer. Anyone else (mediator, regulator, ops) reads them masked.
/// </summary>
public static class DisputePrivacy
{
    private const string Consumer = "consumer";

    public static bool Reveals(DisputeRecord r, Role reader, string? authorRole) => (reader, authorRole) switch
    {
        _ when authorRole == reader.WireName() => true, // one's own words
        // What the mediator or the system wrote is not a party's personal data, for the parties.
        (Role.Consumer or Role.Merchant, "mediator" or Roles.System) => true,
        // Anything else the consumer reads is the merchant's side (the merchant, its staff).
        (Role.Consumer, _) => r.State is DisputeState.AwaitingReturn or DisputeState.ReturnShipped,
        (Role.Merchant, Consumer) => r.Outcome?.Remedy is Remedy.Exchange or Remedy.Repair,
        (Role.Merchant, _) => true,
        _ => false,
    };

    /// <summary>The event as <paramref name="reader"/> sees it now.</summary>
    public static DisputeEvent Shown(DisputeEvent e, DisputeRecord r, Role reader) =>
        e.Text is null || Reveals(r, reader, e.AuthorRole) || PersonalData.Mask(e.Text) is not { } masked || masked == e.Text
            ? e : e with { Text = masked };

    /// <summary>The consumer's description of the dispute as <paramref name="reader"/> sees it now.</summary>
    public static string Description(DisputeRecord r, Role reader) =>
        Reveals(r, reader, Consumer) ? r.Request!.Description : PersonalData.Mask(r.Request!.Description)!;

    /// <summary>The stream item for a new event: with each audience's copy where masking changed it, else the event alone.</summary>
    public static DisputeStreamItem Published(DisputeEvent e, DisputeRecord r)
    {
        var forConsumer = Shown(e, r, Role.Consumer);
        var forMerchant = Shown(e, r, Role.Merchant);
        var forOthers = Shown(e, r, Role.Mediator);
        if (ReferenceEquals(forConsumer, e) && ReferenceEquals(forMerchant, e) && ReferenceEquals(forOthers, e)) return new(e, null);
        return new DisputeStreamItem(e, null) { ForConsumer = forConsumer, ForMerchant = forMerchant, ForOthers = forOthers };
    }
}
