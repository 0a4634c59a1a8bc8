namespace Mediation;

public enum ErrorCode
{
    /// <summary>The input is malformed or out of range (400).</summary>
    Invalid,
    /// <summary>The caller may not see or do this (403).</summary>
    Forbidden,
    /// <summary>No such order, dispute or offer (404).</summary>
    NotFound,
    /// <summary>The request contradicts the current state (409).</summary>
    Conflict,
    /// <summary>A dependency (the database) is not available right now (503).</summary>
    Unavailable,
    /// <summary>The service is saturated and shed this call before doing anything; retry shortly (503 + Retry-After).</summary>
    Busy,
}

/// <summary>A rule of the domain said no. Carries a message meant for the person who made the request.</summary>
[GenerateSerializer, Alias("Mediation.MediationException")]
public sealed class MediationException : Exception
{
    public MediationException(ErrorCode code, string message) : base(message) => Code = code;

    [Id(0)]
    public ErrorCode Code { get; }

    public static MediationException Invalid(string message) => new(ErrorCode.Invalid, message);
    public static MediationException Forbidden(string message) => new(ErrorCode.Forbidden, message);
    public static MediationException NotFound(string message) => new(ErrorCode.NotFound, message);
    public static MediationException Conflict(string message) => new(ErrorCode.Conflict, message);
    public static MediationException Busy(string message) => new(ErrorCode.Busy, message);
}
