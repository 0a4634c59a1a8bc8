using System.Data.Common;

namespace Mediation.Testing;

/// <summary>
/// Faults on demand: a grain whose key starts with "fault-" fails the way its name says, so that the answers to
/// overload, a silo leaving and a database outage can be tested over HTTP and the hub without causing them.
/// </summary>
public sealed class FaultInjection : IOutgoingGrainCallFilter
{
    public const string Prefix = "fault-";

    public Task Invoke(IOutgoingGrainCallContext context)
    {
        var key = context.TargetId.Key.ToString();
        if (key is null || !key.StartsWith(Prefix, StringComparison.Ordinal)) return context.Invoke();
        throw key[Prefix.Length..] switch
        {
            "timeout" => new TimeoutException("Response did not arrive on time"),
            "busy" => MediationException.Busy("too many calls in flight"),
            "silo" => new SiloUnavailableException("The target silo became unavailable"),
            "database" => new InjectedDbException(),
            "unavailable" => new MediationException(ErrorCode.Unavailable, "the service cannot reach its database right now"),
            "cancelled" => new OperationCanceledException(),
            var other => new InvalidOperationException($"no fault named {other}"),
        };
    }

    private sealed class InjectedDbException() : DbException("connection refused");
}
