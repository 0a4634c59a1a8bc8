using System.Security.Claims;
using System.Security.Cryptography;
using Mediation.Api.Admission;
using Mediation.Api.Apis;
using Mediation.Api.Identity;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Mediation.Api.Evidence;

/// <summary>Marks an endpoint whose body is a file upload, not JSON: the JSON-only and idempotency-buffering middleware let it through.</summary>
public sealed class AcceptsFileUpload;

/// <summary>
/// Evidence: photos, videos, PDFs and text attached to a dispute by a party or its mediator. The edge reads and
/// inspects the file, stores it, and only then asks the dispute to record it; a refusal removes what was stored.
/// </summary>
public static class EvidenceApi
{
    public static IEndpointRouteBuilder MapEvidenceApi(this IEndpointRouteBuilder app)
    {
        var evidence = app.MapGroup("/api/disputes/{disputeId}/evidence").WithTags("Evidence").RequireAuthorization();

        // Not under the idempotency filter: it would buffer and hash the whole body (up to the video limit) before
        // anything else; an upload retried after a lost answer adds the same bytes (same sha256, stored once) again.
        evidence.MapPost("/", AddEvidence).WithName("AddEvidence")
            .WithSummary("Attach one file (multipart/form-data, one file part): a photo, video, PDF or plain text. Its type is read from its content.")
            .WithMetadata(new AcceptsFileUpload()).RequireRateLimiting(AbuseLimits.Evidence);
        evidence.MapGet("/{evidenceId}", DownloadEvidence).WithName("DownloadEvidence")
            .WithSummary("The file: the uploader gets it as uploaded; everyone else gets photos without location data.");
        evidence.MapGet("/{evidenceId}/thumbnail", DownloadThumbnail).WithName("DownloadEvidenceThumbnail")
            .WithSummary("A JPEG thumbnail of a photo (at most 320 px), without metadata.");
        return app;
    }

    public static async Task<Results<Created<DisputeEvent>, ProblemHttpResult>> AddEvidence(
        string disputeId, HttpContext http, IGrainFactory grains, IEvidenceStore store, IOptions<EvidenceOptions> options)
    {
        if (!Validation.IsId(disputeId)) return ApiProblems.NoSuch("dispute", disputeId);
        var caller = http.User.ToCaller();
        var dispute = grains.GetGrain<IDisputeGrain>(disputeId);
        // Raised first: a refusal answered before the body is read is then still delivered, Kestrel draining the
        // rest, to a client that sends the whole body before it reads (one sending Expect: 100-continue sends none).
        AllowBody(http, options.Value.LargestFile);

        // Asked before the body is read, so that a stranger or a sealed dispute costs no upload. The grain decides again.
        var view = await dispute.GetAsync(caller);
        if (!view.AllowedActions.Contains(DisputeAction.AddEvidence))
            throw MediationException.Conflict(view.EvidenceSealed
                ? $"the evidence of dispute {disputeId} is sealed: nothing can be added after the ruling or the evidence deadline"
                : $"evidence cannot be added to dispute {disputeId} now: it is {view.State}");

        await using var upload = await EvidenceUpload.ReadAsync(http.Request, options.Value, http.RequestAborted);
        var info = new EvidenceInfo(NewEvidenceId(), upload.Type.Kind, upload.Type.ContentType, upload.Size, upload.Sha256,
            caller.UserId, caller.Role.WireName(), HasThumbnail: upload.Photo is not null);

        // Past this point the client leaving changes nothing: stored and recorded, or undone.
        var created = await StoreAsync(store, disputeId, upload);
        DisputeEvent added;
        try
        {
            added = await dispute.AddEvidenceAsync(caller, info);
        }
        catch (MediationException) when (created)
        {
            // The dispute said no (sealed meanwhile, closed): what this upload stored goes. Only a refusal is undone:
            // after a timeout the event may have been recorded, and bytes without an event harm nobody.
            await store.DeleteAsync(disputeId, upload.Sha256);
            throw;
        }
        return TypedResults.Created($"/api/disputes/{disputeId}/evidence/{info.EvidenceId}", added);
    }

    public static async Task<Results<FileStreamHttpResult, ProblemHttpResult>> DownloadEvidence(
        string disputeId, string evidenceId, ClaimsPrincipal user, IGrainFactory grains, IEvidenceStore store, HttpResponse response)
    {
        if (!Validation.IsId(disputeId)) return ApiProblems.NoSuch("dispute", disputeId);
        if (!Validation.IsId(evidenceId)) return ApiProblems.NoSuch("evidence", evidenceId);
        var caller = user.ToCaller();
        var info = await grains.GetGrain<IDisputeGrain>(disputeId).GetEvidenceAsync(caller, evidenceId);
        var variant = IsUploader(caller, info) || info.Kind != EvidenceKind.Photo ? EvidenceVariant.Original : EvidenceVariant.Shared;
        var content = await store.OpenAsync(disputeId, info.Sha256, variant);
        if (content is null) return Missing(evidenceId);
        NoSniffing(response);
        return TypedResults.Stream(content, info.ContentType, $"{evidenceId}.{ExtensionOf(info)}");
    }

    public static async Task<Results<FileStreamHttpResult, ProblemHttpResult>> DownloadThumbnail(
        string disputeId, string evidenceId, ClaimsPrincipal user, IGrainFactory grains, IEvidenceStore store, HttpResponse response)
    {
        if (!Validation.IsId(disputeId)) return ApiProblems.NoSuch("dispute", disputeId);
        if (!Validation.IsId(evidenceId)) return ApiProblems.NoSuch("evidence", evidenceId);
        var info = await grains.GetGrain<IDisputeGrain>(disputeId).GetEvidenceAsync(user.ToCaller(), evidenceId);
        if (!info.HasThumbnail)
            return TypedResults.Problem(statusCode: 404, title: "Not found",
                detail: $"evidence {evidenceId} is a {info.Kind.ToString().ToLowerInvariant()}; only photos have thumbnails");
        var content = await store.OpenAsync(disputeId, info.Sha256, EvidenceVariant.Thumbnail);
        if (content is null) return Missing(evidenceId);
        NoSniffing(response);
        return TypedResults.Stream(content, "image/jpeg");
    }

    /// <summary>Lowercase hex, 16 characters of randomness: not guessable, not derived from the content.</summary>
    public static string NewEvidenceId() => "ev-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    private static async Task<bool> StoreAsync(IEvidenceStore store, string disputeId, EvidenceUpload upload)
    {
        var created = await store.SaveAsync(disputeId, upload.Sha256, EvidenceVariant.Original, upload.Content);
        if (!created) return false; // the same file was already stored for this dispute, with its copies
        try
        {
            if (upload.Photo is { } photo)
            {
                await store.SaveAsync(disputeId, upload.Sha256, EvidenceVariant.Shared, new MemoryStream(photo.Shared, writable: false));
                await store.SaveAsync(disputeId, upload.Sha256, EvidenceVariant.Thumbnail, new MemoryStream(photo.Thumbnail, writable: false));
            }
            return true;
        }
        catch
        {
            await store.DeleteAsync(disputeId, upload.Sha256);
            throw;
        }
    }

    /// <summary>The service-wide body limit stays small (64 KB); this endpoint alone takes a file.</summary>
    private static void AllowBody(HttpContext http, long largestFile)
    {
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = largestFile + 64 * 1024; // the multipart envelope around the file
    }

    private static bool IsUploader(Caller caller, EvidenceInfo info) =>
        caller.UserId == info.UploaderId && caller.Role.WireName() == info.UploaderRole;

    private static string ExtensionOf(EvidenceInfo info) => info.ContentType switch
    {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/webp" => "webp",
        "video/mp4" => "mp4",
        "video/quicktime" => "mov",
        "video/webm" => "webm",
        "application/pdf" => "pdf",
        _ => "txt",
    };

    private static void NoSniffing(HttpResponse response)
    {
        // A text file holding HTML must never be rendered as a page by a browser.
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.CacheControl = "private, no-store";
    }

    private static ProblemHttpResult Missing(string evidenceId) => TypedResults.Problem(statusCode: 404, title: "Not found",
        detail: $"the bytes of evidence {evidenceId} are not in the store");
}
