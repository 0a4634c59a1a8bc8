namespace Mediation;

/// <summary>What Mediation tells a partner platform's after-sales system about a complaint forwarded to it.</summary>
[GenerateSerializer, Immutable, Alias("Mediation.PartnerComplaint")]
public sealed record PartnerComplaint(
    /// <summary>The dispute's id: the platform answers about it under this id.</summary>
    [property: Id(0)] string ComplaintId,
    [property: Id(1)] string Platform,
    /// <summary>The order as the platform knows it (its own order id, seller id and store).</summary>
    [property: Id(2)] Order Order,
    [property: Id(3)] DisputeCategory Category,
    [property: Id(4)] Remedy RequestedRemedy,
    [property: Id(5)] decimal ClaimedAmount,
    [property: Id(6)] string Description,
    /// <summary>The consumers' association or regulator that forwarded it.</summary>
    [property: Id(7)] string ForwardedBy,
    [property: Id(8)] DateTimeOffset ForwardedAt,
    /// <summary>The city's first-response deadline: answer by then.</summary>
    [property: Id(9)] DateTimeOffset AnswerBy);

/// <summary>
/// The JSON body of the complaint webhook (camelCase through <see cref="MediationJson.Options"/>):
/// <c>type: "complaint"</c>, <c>priority: true</c>, where to answer, and the complaint. The receiver takes it at most
/// once by <see cref="ComplaintId"/>, which is also the <c>Idempotency-Key</c> header.
/// </summary>
public sealed record PartnerComplaintWebhook(
    string Type,
    string ComplaintId,
    string Platform,
    bool Priority,
    string AnswerPath,
    Order Order,
    DisputeCategory Category,
    Remedy RequestedRemedy,
    decimal ClaimedAmount,
    string Description,
    string ForwardedBy,
    DateTimeOffset ForwardedAt,
    DateTimeOffset AnswerBy)
{
    public const string ComplaintType = "complaint";

    public static PartnerComplaintWebhook From(PartnerComplaint c) => new(ComplaintType, c.ComplaintId, c.Platform, Priority: true,
        $"/api/partners/{c.Platform}/answers", c.Order, c.Category, c.RequestedRemedy, c.ClaimedAmount, c.Description,
        c.ForwardedBy, c.ForwardedAt, c.AnswerBy);
}

/// <summary>A partner platform's answer about a forwarded complaint, signed with the platform's secret.</summary>
[GenerateSerializer, Immutable, Alias("Mediation.PartnerAnswer")]
public sealed record PartnerAnswer(
    [property: Id(0)] string ComplaintId,
    /// <summary>The platform's own id of this answer: the same answer sent twice is recorded once.</summary>
    [property: Id(1)] string AnswerId,
    [property: Id(2)] PartnerAnswerStatus Status,
    [property: Id(3)] string Text);

/// <summary>One forwarded complaint's delivery to its partner platform: a durable, signed, retried webhook.</summary>
[Alias("Mediation.IPartnerComplaintGrain")]
public interface IPartnerComplaintGrain : IGrainWithStringKey
{
    /// <summary>Stores the complaint and delivers it until the platform takes it (2xx). Idempotent.</summary>
    [Alias("Forward")]
    Task ForwardAsync(PartnerComplaint complaint);

    /// <summary>How many attempts were made and whether the platform took it.</summary>
    [Alias("GetDelivery")]
    Task<(int Attempts, bool Delivered)> GetDeliveryAsync();
}
