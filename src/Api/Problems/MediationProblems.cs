using System.Data.Common;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.SignalR;

namespace Mediation.Api.Problems;

/// <summary>A refusal or a fault as the caller sees it; <paramref name="RetryAfterSeconds"/> when a retry helps.</summary>
public sealed record Problem(int Status, string Title, string Detail, int? RetryAfterSeconds = null)
{
    /// <summary>The hub's form of the same answer: "400 Invalid request: ...".</summary>
    public override string ToString() => $"{Status} {Title}: {Detail}" + (RetryAfterSeconds is { } s ? $" (retry after {s} s)" : "");
}

/// <summary>
/// The one place where a failure becomes an HTTP status and a message for the caller, in the API's own words:
/// a field by its JSON path and what is wrong with it, never a .NET type name.
/// </summary>
public static partial class MediationProblems
{
    private const string RetrySameKey = "retry with the same Idempotency-Key so that a retry never creates anything twice";

    public static Problem? Describe(Exception exception) => exception switch
    {
        MediationException e => new(StatusOf(e.Code), TitleOf(e.Code), e.Message, RetryAfterOf(e.Code)),
        Evidence.UploadRefusedException e => new(e.Status, e.Title, e.Message),
        BadHttpRequestException { InnerException: JsonException json } => Malformed(json),
        BadHttpRequestException e => Request(e),
        JsonException e => Malformed(e),
        _ when Find<DbException>(exception) is not null => Database,
        // An Orleans call timeout: the silo that has the grain did not answer in time because it is overloaded.
        TimeoutException or LimitExceededException or GatewayTooBusyException => Busy,
        SiloUnavailableException or OrleansMessageRejectionException =>
            new(503, "Service unavailable", $"a server left the cluster while handling this call; {RetrySameKey}", 1),
        OperationCanceledException =>
            new(503, "Service unavailable", $"the call was cancelled before it finished (the service is busy or restarting); {RetrySameKey}", 2),
        OrleansException => new(503, "Service unavailable", $"the cluster could not complete this call; {RetrySameKey}", 2),
        _ => null,
    };

    /// <summary>
    /// A call set aside under load before it ran: the answer says so, and logging each one above Debug would let an
    /// overload fill the log as fast as it sheds (a production run shed 14,000 in 15 s).
    /// </summary>
    public static bool IsShed(Exception exception) => exception is MediationException { Code: ErrorCode.Busy };

    private static readonly Problem Busy =
        new(503, "Busy", $"the service is busy right now and did not finish this call; {RetrySameKey}", 2);

    private static readonly Problem Database =
        new(503, "Service unavailable", $"the service cannot reach its database right now; {RetrySameKey}", 5);

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

    private static int? RetryAfterOf(ErrorCode code) => code switch
    {
        ErrorCode.Unavailable => Database.RetryAfterSeconds,
        ErrorCode.Busy => Busy.RetryAfterSeconds,
        _ => null,
    };

    private static T? Find<T>(Exception? exception) where T : Exception
    {
        for (var depth = 0; exception is not null && depth < 8; exception = exception.InnerException, depth++)
            if (exception is T found) return found;
        return null;
    }

    /// <summary>A body that is not JSON, or JSON that does not fit the call: which field, and why.</summary>
    public static Problem Malformed(JsonException json)
    {
        var field = Field(json.Path);
        var why = json switch
        {
            JsonFieldException own => $"{Quoted(field)} {own.Message}",
            { InnerException: JsonException } => $"syntax error at line {json.LineNumber + 1}, byte {json.BytePositionInLine + 1}",
            _ when json.Message.Contains("missing required properties", StringComparison.Ordinal) =>
                string.Join(", ", QuotedNames().Matches(json.Message[json.Message.IndexOf("including", StringComparison.Ordinal)..])
                    .Select(m => $"\"{m.Groups[1].Value}\"")) is { Length: > 0 } names ? $"{names} is required" : "a required field is missing",
            _ when json.Message.Contains("could not be mapped to any", StringComparison.Ordinal) =>
                $"\"{FirstQuotedName(json.Message) ?? field}\" is not a field of this call",
            _ when json.Message.Contains("uplicate", StringComparison.Ordinal) => $"{Quoted(field)} appears more than once",
            _ when json.Message.Contains("null", StringComparison.Ordinal) =>
                $"{Quoted(field ?? FirstQuotedName(json.Message))} must not be null",
            _ when ConvertedTo().Match(json.Message) is { Success: true } m => $"{Quoted(field)} {Expected(json, m.Groups[1].Value)}",
            _ => $"{Quoted(field)} is not valid here",
        };
        return new(400, "Malformed request", $"the request body is not valid JSON for this call: {why}");
    }

    private static string? FirstQuotedName(string message) => QuotedNames().Match(message) is { Success: true } m ? m.Groups[1].Value : null;

    private static string? Field(string? path) => path is null or "$" ? null : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');

    private static string Quoted(string? field) => field is null ? "the body" : $"\"{field}\"";

    /// <summary>
    /// What a value looks like in JSON, without naming a type. The reader's own complaint (inner exceptions) comes
    /// first, because for a constructor parameter the serializer names the enclosing type, not the field's.
    /// </summary>
    private static string Expected(JsonException json, string type)
    {
        var said = string.Join(" | ", Chain(json).Select(e => e.Message));
        if (said.Contains("DateTime", StringComparison.Ordinal)) return "must be a date and time such as 2026-11-20T10:00:00Z";
        if (said.Contains("as a string", StringComparison.Ordinal)) return "must be a string";
        if (said.Contains("as a number", StringComparison.Ordinal) || NumberNames().IsMatch(said)) return "must be a number";
        if (said.Contains("as a boolean", StringComparison.Ordinal)) return "must be true or false";
        return type switch
        {
            "System.String" => "must be a string",
            "System.Boolean" => "must be true or false",
            _ when type.Contains("List", StringComparison.Ordinal) || type.EndsWith("[]", StringComparison.Ordinal) || type.Contains("Enumerable", StringComparison.Ordinal) => "must be an array",
            _ => "must be an object",
        };
    }

    private static IEnumerable<Exception> Chain(Exception? exception)
    {
        for (var depth = 0; exception is not null && depth < 8; exception = exception.InnerException, depth++) yield return exception;
    }

    [GeneratedRegex(@"\b(System\.)?(Decimal|Double|Single|Int16|Int32|Int64|UInt16|UInt32|UInt64|Byte)\b")]
    private static partial Regex NumberNames();

    /// <summary>A request that did not bind (query string, missing body, media type), in our words.</summary>
    private static Problem Request(BadHttpRequestException e)
    {
        if (e.StatusCode == 413) return new(413, "Request too large", $"the request body is larger than the limit: {e.Message}");
        if (e.StatusCode == 415) return new(415, "Unsupported media type", "the body must be JSON in UTF-8 (Content-Type: application/json)");
        if (BindFailure().Match(e.Message) is { Success: true } bind)
            return new(400, "Malformed request", $"\"{bind.Groups[2].Value}\" {(NumberTypes().IsMatch(bind.Groups[1].Value) ? "must be a whole number" : "is not valid")}");
        if (RequiredMissing().Match(e.Message) is { Success: true } missing)
            return new(400, "Malformed request", missing.Groups[3].Value == "body" ? "the request needs a JSON body" : $"\"{missing.Groups[2].Value}\" is required");
        if (e.Message.Contains("body", StringComparison.OrdinalIgnoreCase)) return new(400, "Malformed request", "the request needs a JSON body");
        return new(e.StatusCode, "Malformed request", "the request could not be read");
    }

    /// <summary>A hub call whose arguments the protocol could not bind: the same kind of answer as a malformed body.</summary>
    public static Problem Arguments(string target, Exception failure) => failure switch
    {
        HubException => new(404, "Not found", $"there is no hub method {target}"),
        _ when Find<JsonFieldException>(failure) is { } own => new(400, "Malformed request", $"an argument of {target} {own.Message}"),
        _ when Find<JsonException>(failure) is { } json && ConvertedTo().Match(json.Message) is { Success: true } m =>
            new(400, "Malformed request", $"an argument of {target} {Expected(json, m.Groups[1].Value)}"),
        _ when ArgumentCount().Match(failure.Message) is { Success: true } count =>
            new(400, "Malformed request", $"{target} takes {count.Groups[1].Value} arguments"),
        _ => new(400, "Malformed request", $"the arguments do not fit {target}"),
    };

    [GeneratedRegex(@"target expects (\d+)")]
    private static partial Regex ArgumentCount();

    [GeneratedRegex("'([^']+)'")]
    private static partial Regex QuotedNames();

    [GeneratedRegex(@"could not be converted to ([^\s]+?)\.?(\s|$)")]
    private static partial Regex ConvertedTo();

    [GeneratedRegex(@"^(System\.)?(Decimal|Double|Single|Int16|Int32|Int64|UInt16|UInt32|UInt64|Byte|long|int|short|decimal|double|float)(\?)?$", RegexOptions.IgnoreCase)]
    private static partial Regex NumberTypes();

    [GeneratedRegex("Failed to bind parameter \"(\\S+) (\\w+)\"")]
    private static partial Regex BindFailure();

    [GeneratedRegex("Required parameter \"(\\S+) (\\w+)\" was not provided from (\\w+)")]
    private static partial Regex RequiredMissing();
}

public sealed class MediationExceptionHandler(IProblemDetailsService problems, ILogger<MediationExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var problem = MediationProblems.Describe(exception);
        if (problem is null) return false;
        if (MediationProblems.IsShed(exception)) logger.LogDebug("Request shed: {Problem}", problem);
        else if (problem.Status >= 500) logger.LogWarning(exception, "Request failed: {Detail}", problem.Detail);
        else logger.LogDebug("Request refused: {Problem}", problem);
        httpContext.Response.StatusCode = problem.Status;
        if (problem.RetryAfterSeconds is { } seconds) httpContext.Response.Headers.RetryAfter = seconds.ToString();
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = { Status = problem.Status, Title = problem.Title, Detail = problem.Detail },
        });
    }
}

/// <summary>
/// JSON is UTF-8 (RFC 8259). A body declared in another charset is refused with 415 before anything reads it,
/// instead of failing deep in the body reader.
/// </summary>
public static class Utf8Bodies
{
    public static IApplicationBuilder UseUtf8Bodies(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var declared = Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var type);
        var refusal =
            declared && type!.Charset is { HasValue: true } charset
                && Microsoft.Net.Http.Headers.HeaderUtilities.RemoveQuotes(charset).Value?.ToLowerInvariant() is not ("utf-8" or "utf8")
                ? "the body must be JSON in UTF-8 (Content-Type: application/json; charset=utf-8)"
            : context.Request.Path.StartsWithSegments("/api") && context.Request.ContentType is { Length: > 0 }
                && context.GetEndpoint()?.Metadata.GetMetadata<Evidence.AcceptsFileUpload>() is null // a file upload checks its own body
                && !(declared && (type!.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) || type.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase)))
                ? "the body must be JSON (Content-Type: application/json)"
            : null;
        if (refusal is not null)
        {
            await Results.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type", detail: refusal).ExecuteAsync(context);
            return;
        }
        await next(context);
    });
}
