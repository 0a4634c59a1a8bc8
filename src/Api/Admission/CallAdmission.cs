using System.Threading.RateLimiting;
using Mediation.Api.Problems;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace Mediation.Api.Admission;

public sealed class CallAdmissionOptions
{
    public const string Section = "Mediation:Edge";

    /// <summary>REST requests and hub calls this node runs at once; past it a call is shed at once as busy.</summary>
    public int MaxCallsInFlight { get; set; } = 2000;

    /// <summary>What a shed call is told to wait before retrying.</summary>
    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromSeconds(1);
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

    public MediationException Busy() =>
        MediationException.Busy($"the service is busy right now; retry in {Options.RetryAfter.TotalSeconds:0.#} s (with the same Idempotency-Key)");

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
                    ? RateLimitPartition.Get("calls", _ => admission.Limiter)
                    : RateLimitPartition.GetNoLimiter("other"));
            limiter.OnRejected = async (context, cancellationToken) =>
            {
                var http = context.HttpContext;
                var (status, title, detail) = MediationProblems.Describe(admission.Busy())!.Value;
                http.Response.StatusCode = status;
                http.Response.Headers.RetryAfter = ((int)Math.Ceiling(admission.Options.RetryAfter.TotalSeconds)).ToString();
                await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = http,
                    ProblemDetails = { Status = status, Title = title, Detail = detail },
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
        if (!lease.IsAcquired) throw admission.Busy();
        return await next(invocationContext);
    }
}
