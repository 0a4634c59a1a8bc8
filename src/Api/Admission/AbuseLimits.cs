using System.Diagnostics;
using System.Net;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Mediation.Api.Problems;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace Mediation.Api.Admission;

/// <summary>One token bucket: <see cref="TokenLimit"/> calls at once, then <see cref="TokensPerPeriod"/> more each period.</summary>
public sealed class TokenBucket
{
    /// <summary>The burst. 0 turns this limit off.</summary>
    public int TokenLimit { get; set; }
    public int TokensPerPeriod { get; set; }
    public TimeSpan ReplenishmentPeriod { get; set; } = TimeSpan.FromSeconds(1);

    public bool Off => TokenLimit <= 0;

    public TokenBucketRateLimiterOptions ToOptions() => new()
    {
        TokenLimit = TokenLimit,
        TokensPerPeriod = Math.Max(1, TokensPerPeriod),
        ReplenishmentPeriod = ReplenishmentPeriod,
        QueueLimit = 0, // refused at once: a flood is never queued in front of anyone
        AutoReplenishment = false, // the partitioned limiter replenishes all its buckets on one timer
    };
}

/// <summary>A route's limits: each user, and each remote address (whoever is behind it).</summary>
public sealed class RouteLimit
{
    public TokenBucket PerUser { get; set; } = new();
    public TokenBucket PerIp { get; set; } = new();
}

/// <summary>
/// Mediation:RateLimits. Defaults are a person's pace with room to spare (a human types far below 20 messages a
/// second; a payment app opens a dispute per tap); per address they allow many people behind one NAT. The
/// benchmark's simulated users all come from 127.0.0.1, so it lifts the per-address limit on opening disputes.
/// </summary>
public sealed class AbuseLimitOptions
{
    public const string Section = "Mediation:RateLimits";

    public bool Enabled { get; set; } = true;

    public RouteLimit Disputes { get; set; } = new()
    {
        PerUser = new() { TokenLimit = 20, TokensPerPeriod = 1, ReplenishmentPeriod = TimeSpan.FromSeconds(6) },
        PerIp = new() { TokenLimit = 1000, TokensPerPeriod = 100 },
    };

    public RouteLimit Messages { get; set; } = new()
    {
        PerUser = new() { TokenLimit = 200, TokensPerPeriod = 20 },
        PerIp = new() { TokenLimit = 2000, TokensPerPeriod = 200 },
    };

    public RouteLimit Offers { get; set; } = new()
    {
        PerUser = new() { TokenLimit = 50, TokensPerPeriod = 5 },
        PerIp = new() { TokenLimit = 1000, TokensPerPeriod = 100 },
    };

    public RouteLimit Evidence { get; set; } = new()
    {
        PerUser = new() { TokenLimit = 20, TokensPerPeriod = 1 },
        PerIp = new() { TokenLimit = 200, TokensPerPeriod = 20 },
    };

    /// <summary>Calls on one hub connection, whatever the method.</summary>
    public TokenBucket HubCalls { get; set; } = new() { TokenLimit = 200, TokensPerPeriod = 20 };

    public RouteLimit For(string policy) => policy switch
    {
        AbuseLimits.Disputes => Disputes,
        AbuseLimits.Messages => Messages,
        AbuseLimits.Offers => Offers,
        AbuseLimits.Evidence => Evidence,
        _ => throw new ArgumentOutOfRangeException(nameof(policy), policy, "no such rate limit"),
    };
}

/// <summary>
/// Abuse limits: named rate-limiting policies on the routes that create things (disputes, messages, offers, evidence),
/// each a chain of a per-user and a per-address token bucket; and a token bucket per hub connection. A refused call is
/// answered before anything ran — 429 with Retry-After on REST, "429 Too many calls" on the hub — so nothing changed.
/// </summary>
public static class AbuseLimits
{
    public const string Disputes = "disputes";
    public const string Messages = "messages";
    public const string Offers = "offers";
    public const string Evidence = "evidence";

    public static WebApplicationBuilder AddAbuseLimits(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<AbuseLimitOptions>().Bind(builder.Configuration.GetSection(AbuseLimitOptions.Section));
        services.AddSingleton<HubCallLimit>();
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<AbuseLimitOptions>>((limiter, options) =>
        {
            foreach (var name in (string[])[Disputes, Messages, Offers, Evidence])
                limiter.AddPolicy(name, new RequesterPolicy(name, options.Value));
        });
        // Outermost of the hub filters (registered before AddSignalR's): a flooding connection costs no admission permit.
        services.Configure<HubOptions>(o => o.AddFilter<HubCallLimitFilter>());
        return builder;
    }

    /// <summary>The refusal in our words, for REST and the hub alike.</summary>
    public static Problem TooMany(string what, TimeSpan retryAfter) =>
        new(StatusCodes.Status429TooManyRequests, "Too many calls",
            $"{what}; nothing was done, retry later with the same Idempotency-Key",
            Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)));

    /// <summary>Writes a 429 ProblemDetails with Retry-After (from the refused lease).</summary>
    public static async ValueTask WriteTooManyAsync(OnRejectedContext context, string what)
    {
        var http = context.HttpContext;
        var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromSeconds(1);
        var problem = TooMany(what, retryAfter);
        http.Response.StatusCode = problem.Status;
        http.Response.Headers.RetryAfter = problem.RetryAfterSeconds!.Value.ToString();
        await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails = { Status = problem.Status, Title = problem.Title, Detail = problem.Detail },
        });
    }

    internal static string? UserOf(ClaimsPrincipal user) =>
        user.Identity?.IsAuthenticated == true ? user.FindFirstValue(ClaimTypes.NameIdentifier) : null;

    internal static string AddressOf(HttpContext http) => http.Connection.RemoteIpAddress is { } ip
        ? (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip).ToString()
        : IPAddress.None.ToString();
}

/// <summary>Who is calling, as far as the limits are concerned.</summary>
internal readonly record struct Requester(string? User, string Address);

/// <summary>
/// One named policy: the middleware keeps a limiter per (user, address); each is a view of two shared partitioned
/// limiters chained, one keyed by user and one by address, so that a user is limited wherever it comes from and an
/// address whoever uses it.
/// </summary>
internal sealed class RequesterPolicy : IRateLimiterPolicy<Requester>
{
    private readonly string _name;
    private readonly PartitionedRateLimiter<Requester> _chain;

    public RequesterPolicy(string name, AbuseLimitOptions options)
    {
        _name = name;
        var limits = options.For(name);
        var perUser = PartitionedRateLimiter.Create<Requester, string>(r =>
            !options.Enabled || r.User is null || limits.PerUser.Off
                ? RateLimitPartition.GetNoLimiter("")
                : RateLimitPartition.GetTokenBucketLimiter(r.User, _ => limits.PerUser.ToOptions()));
        var perAddress = PartitionedRateLimiter.Create<Requester, string>(r =>
            !options.Enabled || limits.PerIp.Off
                ? RateLimitPartition.GetNoLimiter("")
                : RateLimitPartition.GetTokenBucketLimiter(r.Address, _ => limits.PerIp.ToOptions()));
        // The user's bucket first: a call it refuses costs the address nothing, so one flooding user cannot use up
        // the address's allowance for the others behind it.
        _chain = PartitionedRateLimiter.CreateChained(perUser, perAddress);
    }

    public Func<OnRejectedContext, CancellationToken, ValueTask>? OnRejected => (context, _) =>
        AbuseLimits.WriteTooManyAsync(context, $"too many {Describe(_name)} from you in a short time");

    private static string Describe(string name) => name switch
    {
        AbuseLimits.Disputes => "disputes opened",
        AbuseLimits.Evidence => "evidence uploads",
        _ => name,
    };

    public RateLimitPartition<Requester> GetPartition(HttpContext httpContext)
    {
        var requester = new Requester(AbuseLimits.UserOf(httpContext.User), AbuseLimits.AddressOf(httpContext));
        return RateLimitPartition.Get(requester, r => new RequesterLimiter(_chain, r));
    }
}

/// <summary>The shared chain as the middleware's per-requester limiter; disposing it disposes nothing shared.</summary>
internal sealed class RequesterLimiter(PartitionedRateLimiter<Requester> chain, Requester requester) : RateLimiter
{
    private long _lastUsed = Stopwatch.GetTimestamp();

    public override TimeSpan? IdleDuration => Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastUsed));

    public override RateLimiterStatistics? GetStatistics() => chain.GetStatistics(requester);

    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        Interlocked.Exchange(ref _lastUsed, Stopwatch.GetTimestamp());
        return chain.AttemptAcquire(requester, permitCount);
    }

    protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        Interlocked.Exchange(ref _lastUsed, Stopwatch.GetTimestamp());
        return chain.AcquireAsync(requester, permitCount, cancellationToken);
    }
}

/// <summary>A token bucket per hub connection, all replenished on one timer (not a timer per connection).</summary>
public sealed class HubCallLimit(IOptions<AbuseLimitOptions> options) : IDisposable
{
    private readonly PartitionedRateLimiter<string> _connections = PartitionedRateLimiter.Create<string, string>(connectionId =>
        !options.Value.Enabled || options.Value.HubCalls.Off
            ? RateLimitPartition.GetNoLimiter("")
            : RateLimitPartition.GetTokenBucketLimiter(connectionId, _ => options.Value.HubCalls.ToOptions()));

    public RateLimitLease Acquire(string connectionId) => _connections.AttemptAcquire(connectionId);

    public void Dispose() => _connections.Dispose();
}

/// <summary>Refuses a hub call past its connection's allowance, before it runs, in the shape of the other HubExceptions.</summary>
public sealed class HubCallLimitFilter(HubCallLimit limit) : IHubFilter
{
    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocationContext, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        using (var lease = limit.Acquire(invocationContext.Context.ConnectionId))
        {
            if (!lease.IsAcquired)
            {
                var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromSeconds(1);
                throw new HubException(AbuseLimits.TooMany("too many calls on this connection in a short time", retryAfter).ToString());
            }
        }
        return await next(invocationContext);
    }
}
