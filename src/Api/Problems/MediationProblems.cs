using System.Data.Common;
using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;

namespace Mediation.Api.Problems;

/// <summary>The one place where a failure becomes an HTTP status and a message for the caller.</summary>
public static class MediationProblems
{
    public static (int Status, string Title, string Detail)? Describe(Exception exception) => exception switch
    {
        MediationException e => (StatusOf(e.Code), TitleOf(e.Code), e.Message),
        BadHttpRequestException { InnerException: JsonException json } => (400, "Malformed request", $"the request body is not valid JSON for this call: {json.Message}"),
        BadHttpRequestException e => (e.StatusCode, e.StatusCode == 413 ? "Request too large" : "Malformed request", e.Message),
        JsonException e => (400, "Malformed request", e.Message),
        TimeoutException or DbException or OrleansException => (503, "Service unavailable", "the service cannot reach its database right now; retry shortly, with the same Idempotency-Key so that a retry never creates anything twice"),
        _ => null,
    };

    public static int StatusOf(ErrorCode code) => code switch
    {
        ErrorCode.Invalid => StatusCodes.Status400BadRequest,
        ErrorCode.Forbidden => StatusCodes.Status403Forbidden,
        ErrorCode.NotFound => StatusCodes.Status404NotFound,
        ErrorCode.Conflict => StatusCodes.Status409Conflict,
        ErrorCode.Unavailable => StatusCodes.Status503ServiceUnavailable,
        ErrorCode.Busy => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status500InternalServerError,
    };

    private static string TitleOf(ErrorCode code) => code switch
    {
        ErrorCode.Invalid => "Invalid request",
        ErrorCode.Forbidden => "Forbidden",
        ErrorCode.NotFound => "Not found",
        ErrorCode.Conflict => "Not allowed now",
        ErrorCode.Unavailable => "Service unavailable",
        ErrorCode.Busy => "Busy",
        _ => "Error",
    };
}

public sealed class MediationExceptionHandler(IProblemDetailsService problems, ILogger<MediationExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var described = MediationProblems.Describe(exception);
        if (described is null) return false;
        var (status, title, detail) = described.Value;
        if (status >= 500) logger.LogWarning(exception, "Request failed: {Detail}", detail);
        httpContext.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        });
    }
}
