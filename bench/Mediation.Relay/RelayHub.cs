using Microsoft.AspNetCore.SignalR;

namespace Mediation.Relay;

/// <summary>
/// The service's hub surface, relaying only: a call is checked against the dispute's parties, given the next seq of
/// the dispute and sent to the dispute's group. Payloads are maps with the service's wire keys (camelCase), so the
/// JSON and MessagePack protocols carry the same shape as the service's <c>DisputeEvent</c> and <c>DisputeSignal</c>.
/// </summary>
public sealed class RelayHub(RelayDisputes disputes, TimeProvider time) : Hub
{
    public const string Path = "/hubs/negotiation";
    private static readonly TimeSpan TypingShownFor = TimeSpan.FromSeconds(5);

    private (string UserId, string Role) Caller
    {
        get
        {
            var headers = Context.GetHttpContext()?.Request.Headers;
            return (headers?["X-User-Id"].ToString() ?? "", headers?["X-Role"].ToString().ToLowerInvariant() ?? "");
        }
    }

    private RelayDispute Dispute(string disputeId) =>
        disputes.Find(disputeId) is var dispute && dispute.IsParty(Caller.UserId)
            ? dispute
            : throw new HubException($"404 Not found: dispute {disputeId} does not exist");

    /// <summary>Joins the dispute's group, then replays the Opened event (the only stored one) to the caller.</summary>
    public async Task JoinDispute(string disputeId, long afterSeq)
    {
        var dispute = Dispute(disputeId);
        await Groups.AddToGroupAsync(Context.ConnectionId, disputeId);
        if (afterSeq < 1)
            await Clients.Caller.SendAsync("DisputeEvent", new Dictionary<string, object?>
            {
                ["disputeId"] = disputeId, ["seq"] = 1L, ["type"] = "Opened", ["authorId"] = dispute.Order.ConsumerId,
                ["at"] = dispute.OpenedAt.ToString("O"), ["text"] = dispute.Description, ["orderId"] = dispute.Order.OrderId,
                ["authorRole"] = "consumer",
            });
    }

    public Task LeaveDispute(string disputeId) => Groups.RemoveFromGroupAsync(Context.ConnectionId, disputeId);

    public async Task<long> SendMessage(string disputeId, string text)
    {
        var dispute = Dispute(disputeId);
        var (userId, role) = Caller;
        var seq = dispute.NextSeq();
        await Clients.Group(disputeId).SendAsync("DisputeEvent", new Dictionary<string, object?>
        {
            ["disputeId"] = disputeId, ["seq"] = seq, ["type"] = "Message", ["authorId"] = userId,
            ["at"] = time.GetUtcNow().ToString("O"), ["text"] = text, ["authorRole"] = role,
        });
        return seq;
    }

    public Task Typing(string disputeId)
    {
        Dispute(disputeId);
        var (userId, role) = Caller;
        var now = time.GetUtcNow();
        return Clients.Group(disputeId).SendAsync("DisputeSignal", new Dictionary<string, object?>
        {
            ["disputeId"] = disputeId, ["kind"] = "typing", ["userId"] = userId, ["role"] = role,
            ["at"] = now.ToString("O"), ["until"] = (now + TypingShownFor).ToString("O"),
        });
    }
}
