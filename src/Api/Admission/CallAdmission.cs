using System.Threading.RateLimiting;
using Mediation.Api.Problems;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace Mediation.Api.Admission;

public sealed class CallAdmissionOptions
{
    public const string Section = "Mediation:Edge";

    /// <summary>
    /// REST requests and hub calls this node runs at once; past it a call is shed at once as busy. Below the number of
    /// connections a node holds: SignalR runs one call per connection at a time, so with a limit at or above the
    /// connection count a backlog waits in the connections' queues, where admission never sees it (at 2,000 for 2,000
    /// connections, 3 x the saturating rate shed nothing and timed out instead). 500 is a node's ~5,000 calls/s times
    /// ~100 ms.
    /// </summary>
    public int MaxCallsInFlight { get; set; } = 500;
}

/// <summary>
/// Bounds the work this node takes on: one concurrency limiter (no queue) shared by REST and the hub. When the
/// service cannot keep up, what it accepts keeps a bounded latency and the rest is answered at once with a clear
/// "busy, retry" — before anything was done, so the retry (with the same Idempotency-Key) is always safe.
/// </summary>
public sealed class CallAdmission(IOptions<CallAdmissionOptions> options) : IDisposable
{
    public CallAdmissionOptions Options { get; } = options.Value;

    public ConcurrencyLimiter Limiter { get; } = new(new ConcurrencyLimiterOptions
    {
        PermitLimit = options.Value.MaxCallsInFlight,
        QueueLimit = 0,
    });

    public static MediationException Busy() =>
        MediationException.Busy("the service is busy right now and set this call aside before doing anything; retry with the same Idempotency-Key");

    public void Dispose() => Limiter.Dispose();
}

public static class CallAdmissionSetup
{
    public static IServiceCollection AddCallAdmission(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<CallAdmissionOptions>().Bind(configuration.GetSection(CallAdmissionOptions.Section));
        services.AddSingleton<CallAdmission>();
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<CallAdmission>((limiter, admission) =>
        {
            // REST calls only: the hub's WebSocket would hold a permit for its whole life; its calls are admitted one by one.
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http =>
                http.Request.Path.StartsWithSegments("/api")
                    ? RateLimitPartition.Get("calls", _ => new Shared(admission.Limiter))
                    : RateLimitPartition.GetNoLimiter("other"));
            limiter.OnRejected = async (context, cancellationToken) =>
            {
                var http = context.HttpContext;
                var problem = MediationProblems.Describe(CallAdmission.Busy())!;
                http.Response.StatusCode = problem.Status;
                if (problem.RetryAfterSeconds is { } seconds) http.Response.Headers.RetryAfter = seconds.ToString();
                await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = http,
                    ProblemDetails = { Status = problem.Status, Title = problem.Title, Detail = problem.Detail },
                });
            };
        });
        return services;
    }
}

/// <summary>Admits each hub call through the same limiter as REST; a shed call fails as busy before it ran.</summary>
public sealed class AdmissionHubFilter(CallAdmission admission) : IHubFilter
{
    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocationContext, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        using var lease = admission.Limiter.AttemptAcquire();
        if (!lease.IsAcquired) throw CallAdmission.Busy();
        return await next(invocationContext);
    }
}

/// <summary>
/// The node's one limiter as seen by the rate-limiting middleware, which disposes a partition's limiter once it has
/// been idle a while: this view is never idle and never disposes what it shares with the hub.
/// </summary>
internal sealed class Shared(RateLimiter inner) : RateLimiter
{
    public override TimeSpan? IdleDuration => null;

    public override RateLimiterStatistics? GetStatistics() => inner.GetStatistics();

    protected override RateLimitLease AttemptAcquireCore(int permitCount) => inner.AttemptAcquire(permitCount);

    protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken) =>
        inner.AcquireAsync(permitCount, cancellationToken);
}
