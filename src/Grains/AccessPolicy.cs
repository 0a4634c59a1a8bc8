using Mediation.Grains.Disputes;

namespace Mediation.Grains;

/// <summary>
/// Who may see and do what, in one place (the grains ask it; the edge only authenticates):
/// <list type="bullet">
/// <item>a consumer or a merchant (merchant staff act as their merchant): its own disputes, lists and follows;</item>
/// <item>a mediator: the cases assigned to it, its own queue and availability, the queue of its city;</item>
/// <item>a regulator: the figures and the case files (masked) of its city — every city without one — and never acts on a dispute;</item>
/// <item>ops (the payment platform): pushes orders and merchant profiles, reports instruction results, reads figures; never a party.</item>
/// </list>
/// A stranger to a dispute is told it is not theirs (403); an action the caller's role never takes is 403 too; an
/// action of the right role at the wrong moment is a conflict (409).
/// </summary>
public static class AccessPolicy
{
    /// <summary>How a case file reads the dispute's instruction and ledger, once the policy let its reader in.</summary>
    public static readonly Caller CaseFileReader = new("case-file", Role.Ops);

    /// <summary>The caller's part in a dispute, or null when it has none.</summary>
    public static Role? PartOf(DisputeRecord dispute, Caller caller) => dispute.RoleOf(caller);

    /// <summary>
    /// Whether the caller may read an order's ledger or instruction: ops, or the order's consumer or merchant. The
    /// assigned mediator and a regulator read them in the case file.
    /// </summary>
    public static bool ReadsMoney(Caller caller, string consumerId, string merchantId) => caller.Role switch
    {
        Role.Ops => true,
        Role.Consumer => caller.UserId == consumerId,
        Role.Merchant => caller.UserId == merchantId,
        _ => false,
    };

    /// <summary>Whether the caller may read the case file: a party, the assigned mediator, or a regulator of the dispute's city.</summary>
    public static bool ReadsCaseFile(DisputeRecord dispute, Caller caller) =>
        PartOf(dispute, caller) is not null || (caller.Role == Role.Regulator && InCity(caller, dispute.Order?.City));

    /// <summary>Why the caller may not see figures of <paramref name="city"/> (null: every city), or null when it may.</summary>
    public static string? FiguresRefusal(Caller caller, string? city) => caller.Role switch
    {
        Role.Ops => null,
        Role.Regulator when caller.City is null => null,
        Role.Regulator when city is not null && InCity(caller, city) => null,
        Role.Regulator => $"{caller} reads the figures of {caller.City} only",
        _ => $"{caller} may not see the regulator's figures",
    };

    /// <summary>A regulator's figures default to its own city.</summary>
    public static string? FiguresCity(Caller caller, string? asked) =>
        asked ?? (caller.Role == Role.Regulator ? caller.City : null);

    private static bool InCity(Caller caller, string? city) =>
        caller.City is null || string.Equals(caller.City, city, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Why <paramref name="role"/> never takes <paramref name="action"/> on a dispute (403), or null when its role
    /// may (the state machine then says whether now is the moment).
    /// </summary>
    public static string? RoleRefusal(Role role, DisputeAction action) => DisputeStateMachine.RoleRefusal(role, action);
}
