using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Mediation.Api.Identity;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Mediation.Api.Apis;

/// <summary>
/// <c>Idempotency-Key</c> on POSTs, as payment APIs have it: a retry with the same key gets the first answer and
/// creates nothing; the same key with a different request is refused. Keys are per caller and kept by a grain.
/// </summary>
public sealed class IdempotencyFilter(IGrainFactory grains, IOptions<JsonOptions> json) : IEndpointFilter
{
    public const string Header = "Idempotency-Key";
    public const string ReplayedHeader = "Idempotent-Replayed";
    private const int MaxKeyLength = 255;

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var keys = http.Request.Headers[Header];
        if (keys.Count == 0) return await next(context);
        if (keys.Count != 1 || !IsKey(keys[0]))
            return TypedResults.Problem(statusCode: 400, title: "Invalid request",
                detail: $"{Header} must be one header of 1 to {MaxKeyLength} printable ASCII characters");

        var grain = grains.GetGrain<IIdempotencyGrain>(GrainKey(http.User.ToCaller(), keys[0]!));
        var hash = await RequestHashAsync(http.Request);
        var earlier = await grain.BeginAsync(hash);
        if (earlier is not null)
        {
            if (earlier.RequestHash != hash)
                return TypedResults.Problem(statusCode: 422, title: "Idempotency-Key reused",
                    detail: $"this {Header} was already used for a different request");
            if (!earlier.Completed)
                return TypedResults.Problem(statusCode: 409, title: "Request in progress",
                    detail: $"a request with this {Header} is still being processed; retry shortly");
            http.Response.Headers[ReplayedHeader] = "true";
            return Results.Content(earlier.Body ?? "", "application/json", Encoding.UTF8, earlier.StatusCode);
        }

        object? result;
        try
        {
            result = await next(context);
        }
        catch
        {
            // A refused request changed nothing; the key stays free for a corrected retry.
            await grain.AbandonAsync();
            throw;
        }

        var answer = result is INestedHttpResult nested ? nested.Result : result;
        if (answer is IStatusCodeHttpResult { StatusCode: < 300 and >= 200 } ok)
        {
            var body = answer is IValueHttpResult { Value: { } value } ? JsonSerializer.Serialize(value, value.GetType(), json.Value.SerializerOptions) : null;
            await grain.CompleteAsync(ok.StatusCode!.Value, body);
        }
        else
        {
            await grain.AbandonAsync();
        }
        return result;
    }

    /// <summary>Printable ASCII (Stripe's rule), so that a key means the same to every client and proxy.</summary>
    public static bool IsKey(string? key) => key is { Length: > 0 and <= MaxKeyLength } && key.All(c => c is >= ' ' and <= '~');

    /// <summary>
    /// The caller's key as a grain key: a hash, so that no client-chosen text reaches storage. (Orleans' ADO.NET
    /// storage formats grain keys with string.Format, so a key holding '{' failed there on every retry.)
    /// </summary>
    public static string GrainKey(Caller caller, string key) =>
        "idem-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{caller.Role}\n{caller.UserId}\n{key}")));

    private static async Task<string> RequestHashAsync(HttpRequest request)
    {
        // The body was buffered by the middleware below so that it can be read again after binding.
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(request.Method + " " + request.Path + "\n"));
        request.Body.Position = 0;
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk)) > 0) hash.AppendData(chunk, 0, read);
        return Convert.ToHexString(hash.GetHashAndReset());
    }
}

public static class IdempotencyBuffering
{
    /// <summary>Lets <see cref="IdempotencyFilter"/> hash the raw body of requests that carry a key.</summary>
    public static IApplicationBuilder UseIdempotencyBuffering(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        // A file upload is not under the filter: buffering it would copy up to the video limit for nothing.
        if (HttpMethods.IsPost(context.Request.Method) && context.Request.Headers.ContainsKey(IdempotencyFilter.Header)
            && context.GetEndpoint()?.Metadata.GetMetadata<Evidence.AcceptsFileUpload>() is null)
            context.Request.EnableBuffering();
        return next(context);
    });
}
