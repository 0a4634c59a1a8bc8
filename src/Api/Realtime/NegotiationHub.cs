using Mediation.Api.Identity;
using Mediation.Api.Operations;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace Mediation.Api.Realtime;

/// <summary>
/// The chat. The same operations and rules as the REST API: both call the dispute grain, which applies the state
/// machine; errors come back as <see cref="HubException"/> through <see cref="MediationHubFilter"/>.
/// </summary>
[Authorize]
public sealed class NegotiationHub(IGrainFactory grains, DisputeFeeds disputes, PartyFeeds parties, DeskFeeds desks, IOptions<CityOptions> cities,
    EdgeTelemetry telemetry) : Hub
{
    public const string Path = "/hubs/negotiation";

    private Caller Caller => Context.User!.ToCaller();

    // Arguments are checked as REST checks its route and body: a null or malformed id is a dispute that does not exist.
    private static string RequireId(string? id, string what) =>
        Validation.IsId(id) ? id! : throw MediationException.NotFound($"{what} {Shown(id)} does not exist");

    private static string Shown(string? id) => id is null ? "(none)" : id.Length > 80 ? id[..80] + "…" : id;

    private IDisputeGrain Dispute(string? disputeId) => grains.GetGrain<IDisputeGrain>(RequireId(disputeId, "dispute"));

    /// <summary>Sends every event after <paramref name="afterSeq"/>, then the live ones, through <c>DisputeEvent</c>.</summary>
    public async Task JoinDispute(string disputeId, long afterSeq)
    {
        if (afterSeq < 0) throw MediationException.Invalid("afterSeq must be zero or positive");
        await Dispute(disputeId).GetAsync(Caller); // only the dispute's parties may follow it
        await disputes.JoinAsync(disputeId, Caller, Context.ConnectionId, afterSeq);
    }

    public Task LeaveDispute(string disputeId) => disputes.LeaveAsync(RequireId(disputeId, "dispute"), Context.ConnectionId);

    public async Task<long> SendMessage(string disputeId, string text) => (await Dispute(disputeId).SendMessageAsync(Caller, text)).Seq;

    /// <summary>The remedy is its name, read here rather than by the protocol, so that a wrong one is answered in our words.</summary>
    public async Task<long> MakeOffer(string disputeId, string remedy, decimal amount)
    {
        var dispute = Dispute(disputeId);
        if (!ExactNames.TryParse<Remedy>(remedy, out var parsed)) throw MediationException.Invalid($"remedy must be one of {ExactNames.List<Remedy>()}");
        return (await dispute.MakeOfferAsync(Caller, parsed, amount)).Seq;
    }

    public async Task<long> AcceptOffer(string disputeId, long seq) => (await Dispute(disputeId).AcceptOfferAsync(Caller, seq)).Seq;

    public async Task<long> RejectOffer(string disputeId, long seq) => (await Dispute(disputeId).RejectOfferAsync(Caller, seq)).Seq;

    public async Task<long> Escalate(string disputeId) => (await Dispute(disputeId).EscalateAsync(Caller)).Seq;

    public async Task<long> Withdraw(string disputeId) => (await Dispute(disputeId).WithdrawAsync(Caller)).Seq;

    public async Task<long> ConfirmRemedy(string disputeId) => (await Dispute(disputeId).ConfirmRemedyAsync(Caller)).Seq;

    // The mediation half: the same grain methods as REST, arguments read in our words.

    public async Task<long> RequestEvidence(string disputeId, string of, string text, DateTimeOffset dueBy)
    {
        var dispute = Dispute(disputeId);
        if (!ExactNames.TryParse<Role>(of, out var party)) throw MediationException.Invalid("evidence is requested of the consumer or the merchant");
        return (await dispute.RequestEvidenceAsync(Caller, party, text, dueBy)).Seq;
    }

    public async Task<long> Propose(string disputeId, string remedy, decimal amount, bool returnFirst, string text)
    {
        var dispute = Dispute(disputeId);
        return (await dispute.ProposeAsync(Caller, Parse<Remedy>(remedy, "remedy"), amount, returnFirst, text)).Seq;
    }

    public async Task<long> AcceptProposal(string disputeId, long seq) => (await Dispute(disputeId).AcceptProposalAsync(Caller, seq)).Seq;

    public async Task<long> RejectProposal(string disputeId, long seq) => (await Dispute(disputeId).RejectProposalAsync(Caller, seq)).Seq;

    public async Task<long> Rule(string disputeId, string category, string responsibility, string remedy, decimal amount, bool returnFirst, string reasons)
    {
        var dispute = Dispute(disputeId);
        var ruling = new Ruling(Parse<DisputeCategory>(category, "category"), Parse<Responsibility>(responsibility, "responsibility"),
            Parse<Remedy>(remedy, "remedy"), amount, returnFirst, reasons);
        return (await dispute.RuleAsync(Caller, ruling)).Seq;
    }

    public async Task<long> ShipReturn(string disputeId, string carrier, string trackingNumber) =>
        (await Dispute(disputeId).ShipReturnAsync(Caller, carrier, trackingNumber)).Seq;

    public async Task<long> AcknowledgeReturn(string disputeId, string condition, string? note)
    {
        var dispute = Dispute(disputeId);
        return (await dispute.AcknowledgeReturnAsync(Caller, Parse<GoodsCondition>(condition, "condition"), note)).Seq;
    }

    public async Task<long> GiveFeedback(string disputeId, int rating, string? comment) =>
        (await Dispute(disputeId).GiveFeedbackAsync(Caller, rating, comment)).Seq;

    /// <summary>A mediator's desk: the city's queue through <c>QueueChanged</c> each time it changes.</summary>
    public Task FollowQueue(string city)
    {
        var caller = Caller;
        if (caller.Role != Role.Mediator || !string.Equals(cities.Value.CityOf(caller.UserId), city, StringComparison.OrdinalIgnoreCase))
            throw MediationException.Forbidden($"{caller} is not a mediator of {Shown(city)}");
        return desks.FollowAsync(cities.Value.CityOf(caller.UserId)!, Context.ConnectionId);
    }

    private static T Parse<T>(string? value, string what) where T : struct, Enum =>
        ExactNames.TryParse<T>(value, out var parsed) ? parsed : throw MediationException.Invalid($"{what} must be one of {ExactNames.List<T>()}");

    public Task Typing(string disputeId) => Dispute(disputeId).TypingAsync(Caller);

    public Task MarkRead(string disputeId, long seq) => Dispute(disputeId).MarkReadAsync(Caller, seq);

    /// <summary>A merchant's console: summary events of all its disputes through <c>DisputeSummary</c>.</summary>
    public Task FollowMerchant(string merchantId) => Follow(Role.Merchant, merchantId);

    public Task FollowConsumer(string consumerId) => Follow(Role.Consumer, consumerId);

    private Task Follow(Role role, string partyId)
    {
        RequireId(partyId, role.WireName());
        var caller = Caller;
        if (caller.Role != role || caller.UserId != partyId)
            throw MediationException.Forbidden($"{caller} may not follow the disputes of {role.WireName()} {partyId}");
        return parties.FollowAsync(role, partyId, Context.ConnectionId);
    }

    public override async Task OnConnectedAsync()
    {
        await base.OnConnectedAsync();
        var role = Caller.Role;
        telemetry.Connected(role);
        Context.Items[CountedAs] = role; // so that exactly the connections counted in are counted out
    }

    private const string CountedAs = "mediation.connections.role";

    public override async Task OnDisconnectedAsync(Exception? exception)
    {
        try
        {
            await disputes.DisconnectedAsync(Context.ConnectionId);
            await parties.DisconnectedAsync(Context.ConnectionId);
            await desks.DisconnectedAsync(Context.ConnectionId);
            await base.OnDisconnectedAsync(exception);
        }
        finally
        {
            if (Context.Items.TryGetValue(CountedAs, out var counted) && counted is Role role) telemetry.Disconnected(role);
        }
    }
}
