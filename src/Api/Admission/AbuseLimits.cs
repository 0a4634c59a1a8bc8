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

    /// <summary>
    /// Every call of a user under <c>/api</c> and <c>/hubs</c> (reads included, which no other limit counts): ten times
    /// what a person's pages need, so that only a flood meets it; a burst of 100 at most (a flood's first burst of 300
    /// reads raised the others' p99 ×1.8 in the flood bench, 100 ×1.1). Not the payment platform's service identity (ops),
    /// which pushes orders by the thousand. Per address off by default (many people behind one carrier NAT).
    /// </summary>
    public RouteLimit Calls { get; set; } = new()
    {
        // 100/s as 10 every 100 ms: a flooder's allowance comes back a little at a time, not as one burst a second.
        PerUser = new() { TokenLimit = 100, TokensPerPeriod = 10, ReplenishmentPeriod = TimeSpan.FromMilliseconds(100) },
        PerIp = new() { TokenLimit = 0 },
    };

    /// <summary>Calls on one hub connection, whatever the method.</summary>
    public TokenBucket HubCalls { get; set; } = new() { TokenLimit = 200, TokensPerPeriod = 20 };

    /// <summary>
    /// How long a refusal (a 429, or a 401 on an endpoint that needs a token) is held before it is answered, once its
    /// address has used up <see cref="FreeRefusals"/>; never longer than a 429's Retry-After header says (whole
    /// seconds). A client that ignores refusals and keeps N requests in flight then gets 1–2 N answers a second
    /// instead of as many as the service can refuse, which cost the CPU that storing them would have. Zero answers
    /// every refusal at once.
    /// </summary>
    public TimeSpan RefusalHold { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Refusals answered at once, per remote address: a person whose token expired, a client that backs off.</summary>
    public TokenBucket FreeRefusals { get; set; } = new() { TokenLimit = 20, TokensPerPeriod = 5 };

    /// <summary>Refusals held at once, whoever sent them; past it a refusal is answered at once (memory stays bounded).</summary>
    public int MaxHeldRefusals { get; set; } = 5000;

    public RouteLimit For(string policy) => policy switch
    {
        AbuseLimits.Disputes => Disputes,
        AbuseLimits.Messages => Messages,
        AbuseLimits.Offers => Offers,
        AbuseLimits.Evidence => Evidence,
        AbuseLimits.Calls => Calls,
        _ => throw new ArgumentOutOfRangeException(nameof(policy), policy, "no such rate limit"),
    };
}

/// <summary>
/// Abuse limits: named rate-limiting policies on the routes that create things (disputes, messages, offers, evidence),
/// each a chain of a per-user and a per-address token bucket; a per-user bucket on every call (<see cref="UseCallLimits"/>);
/// and a token bucket per hub connection. A refused call is
/// refused before anything ran — 429 with Retry-After on REST, "429 Too many calls" on the hub — so nothing changed,
/// and answered after a short hold (<see cref="RefusalHold"/>) so that refusing a flood costs no more than waiting.
/// </summary>
public static class AbuseLimits
{
    public const string Disputes = "disputes";
    public const string Messages = "messages";
    public const string Offers = "offers";
    public const string Evidence = "evidence";
    public const string Calls = "calls";

    public static WebApplicationBuilder AddAbuseLimits(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<AbuseLimitOptions>().Bind(builder.Configuration.GetSection(AbuseLimitOptions.Section));
        services.AddSingleton<HubCallLimit>();
        services.AddSingleton<RefusalHold>();
        services.AddSingleton<RequesterLimits>();
        services.AddOptions<RateLimiterOptions>().Configure<RequesterLimits>((limiter, limits) =>
        {
            foreach (var name in RequesterLimits.Names)
                limiter.AddPolicy(name, new RequesterPolicy(name, limits));
        });
        // Outermost of the hub filters (registered before AddSignalR's): a flooding connection costs no admission permit.
        services.Configure<HubOptions>(o => o.AddFilter<HubCallLimitFilter>());
        return builder;
    }

    /// <summary>The refusal in our words, for REST and the hub alike.</summary>
    public static Problem TooMany(string what, TimeSpan retryAfter) =>
        new(StatusCodes.Status429TooManyRequests, "Too many calls",
            $"{what}; nothing was done, retry later with the same Idempotency-Key",
            RetryAfterSeconds(retryAfter));

    /// <summary>What Retry-After says: whole seconds, at least one.</summary>
    internal static int RetryAfterSeconds(TimeSpan retryAfter) => Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));

    /// <summary>Writes a 429 ProblemDetails with Retry-After (from the refused lease), once the refusal was held.</summary>
    public static ValueTask WriteTooManyAsync(OnRejectedContext context, string what) => WriteTooManyAsync(context.HttpContext, context.Lease, what);

    public static async ValueTask WriteTooManyAsync(HttpContext http, RateLimitLease lease, string what)
    {
        var retryAfter = RetryAfterOf(lease);
        if (!await http.RequestServices.GetRequiredService<RefusalHold>().HoldAsync(http, retryAfter)) return;
        var problem = TooMany(what, retryAfter);
        http.Response.StatusCode = problem.Status;
        http.Response.Headers.RetryAfter = problem.RetryAfterSeconds!.Value.ToString();
        await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails = { Status = problem.Status, Title = problem.Title, Detail = problem.Detail },
        });
    }

    /// <summary>
    /// The per-user limit on every call (<see cref="AbuseLimitOptions.Calls"/>), after authentication: ASP.NET Core's
    /// rate-limiting middleware takes one global limiter (the admission limit has it) and one policy per endpoint (the
    /// routes that create things have theirs), so this one runs the same limiters from a middleware of its own.
    /// </summary>
    public static IApplicationBuilder UseCallLimits(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        if (!(http.Request.Path.StartsWithSegments("/api") || http.Request.Path.StartsWithSegments("/hubs"))
            || UserOf(http.User) is not { } user
            || string.Equals(http.User.FindFirstValue(ClaimTypes.Role), Role.Ops.WireName(), StringComparison.OrdinalIgnoreCase))
        {
            await next(http);
            return;
        }
        var limits = http.RequestServices.GetRequiredService<RequesterLimits>();
        using var lease = limits.For(Calls).AttemptAcquire(new Requester(user, AddressOf(http)));
        if (lease.IsAcquired) await next(http);
        else await WriteTooManyAsync(http, lease, "too many calls from you in a short time");
    });

    internal static TimeSpan RetryAfterOf(RateLimitLease lease) =>
        lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromSeconds(1);

    /// <summary>
    /// The person calling: merchant staff each have their own allowance (they act for one merchant, but a merchant's
    /// many agents are many people), everyone else their user id.
    /// </summary>
    internal static string? UserOf(ClaimsPrincipal user) =>
        user.Identity?.IsAuthenticated != true ? null
        : user.FindFirstValue(Identity.MediationClaims.Staff) is { } staff ? $"staff:{staff}@{user.FindFirstValue(ClaimTypes.NameIdentifier)}"
        : user.FindFirstValue(ClaimTypes.NameIdentifier);

    internal static string Describe(string name) => name switch
    {
        Disputes => "disputes opened",
        Evidence => "evidence uploads",
        _ => name,
    };

    internal static string AddressOf(HttpContext http) => http.Connection.RemoteIpAddress is { } ip
        ? (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip).ToString()
        : IPAddress.None.ToString();
}

/// <summary>Who is calling, as far as the limits are concerned.</summary>
public readonly record struct Requester(string? User, string Address);

/// <summary>
/// The per-user and per-address buckets of each limited action: each action is two partitioned limiters chained, one
/// keyed by user and one by address, so that a user is limited wherever it comes from and an address whoever uses it.
/// The hub's methods that do the same thing spend the same per-user bucket (a message is a message, sent over either),
/// not the address's: a chat's many users behind one carrier-grade NAT would share it.
/// </summary>
public sealed class RequesterLimits : IDisposable
{
    public static readonly string[] Names = [AbuseLimits.Disputes, AbuseLimits.Messages, AbuseLimits.Offers, AbuseLimits.Evidence, AbuseLimits.Calls];

    private readonly Dictionary<string, PartitionedRateLimiter<Requester>> _chains = [];
    private readonly Dictionary<string, PartitionedRateLimiter<Requester>> _perUser = [];

    public RequesterLimits(IOptions<AbuseLimitOptions> options)
    {
        var o = options.Value;
        foreach (var name in Names)
        {
            var limits = o.For(name);
            var perUser = PartitionedRateLimiter.Create<Requester, string>(r =>
                !o.Enabled || r.User is null || limits.PerUser.Off
                    ? RateLimitPartition.GetNoLimiter("")
                    : RateLimitPartition.GetTokenBucketLimiter(r.User, _ => limits.PerUser.ToOptions()));
            var perAddress = PartitionedRateLimiter.Create<Requester, string>(r =>
                !o.Enabled || limits.PerIp.Off
                    ? RateLimitPartition.GetNoLimiter("")
                    : RateLimitPartition.GetTokenBucketLimiter(r.Address, _ => limits.PerIp.ToOptions()));
            // The user's bucket first: a call it refuses costs the address nothing, so one flooding user cannot use up
            // the address's allowance for the others behind it.
            _chains[name] = PartitionedRateLimiter.CreateChained(perUser, perAddress);
            _perUser[name] = perUser;
        }
    }

    /// <summary>The user's bucket, then the address's: REST's routes.</summary>
    internal PartitionedRateLimiter<Requester> For(string name) => _chains[name];

    /// <summary>The user's bucket alone: the hub's methods.</summary>
    internal PartitionedRateLimiter<Requester> PerUser(string name) => _perUser[name];

    public void Dispose()
    {
        foreach (var chain in _chains.Values) chain.Dispose();
        foreach (var perUser in _perUser.Values) perUser.Dispose();
    }
}

/// <summary>One named policy: the middleware keeps a limiter per (user, address), each a view of the shared chain.</summary>
internal sealed class RequesterPolicy(string name, RequesterLimits limits) : IRateLimiterPolicy<Requester>
{
    private readonly PartitionedRateLimiter<Requester> _chain = limits.For(name);

    public Func<OnRejectedContext, CancellationToken, ValueTask>? OnRejected => (context, _) =>
        AbuseLimits.WriteTooManyAsync(context, $"too many {AbuseLimits.Describe(name)} from you in a short time");

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

/// <summary>
/// Refuses a hub call past its connection's allowance, or a message or offer past its sender's (the same per-user
/// buckets as REST's), before it runs, in the shape of the other HubExceptions, once the refusal was held: a
/// connection runs one call at a time, so a flooding connection waits out its own refusals.
/// </summary>
public sealed class HubCallLimitFilter(HubCallLimit limit, RequesterLimits requesters, RefusalHold hold) : IHubFilter
{
    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocationContext, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        var context = invocationContext.Context;
        (string What, TimeSpan RetryAfter)? refused = null;
        using (var lease = limit.Acquire(context.ConnectionId))
            if (!lease.IsAcquired) refused = ("too many calls on this connection in a short time", AbuseLimits.RetryAfterOf(lease));
        if (refused is null && ActionOf(invocationContext.HubMethodName) is { } action)
        {
            // The per-user bucket keys on the user alone: no address to work out on every call.
            using var lease = requesters.PerUser(action).AttemptAcquire(new Requester(AbuseLimits.UserOf(context.User!), ""));
            if (!lease.IsAcquired) refused = ($"too many {AbuseLimits.Describe(action)} from you in a short time", AbuseLimits.RetryAfterOf(lease));
        }
        if (refused is var (what, retryAfter))
        {
            var address = context.GetHttpContext() is { } http ? AbuseLimits.AddressOf(http) : context.ConnectionId;
            await hold.HoldAsync(address, retryAfter, context.ConnectionAborted);
            throw new HubException(AbuseLimits.TooMany(what, retryAfter).ToString());
        }
        return await next(invocationContext);
    }

    /// <summary>The hub methods that do what a limited REST route does.</summary>
    private static string? ActionOf(string method) => method switch
    {
        nameof(Realtime.NegotiationHub.SendMessage) => AbuseLimits.Messages,
        nameof(Realtime.NegotiationHub.MakeOffer) => AbuseLimits.Offers,
        _ => null,
    };
}

/// <summary>
/// Holds refusals (<see cref="AbuseLimitOptions.RefusalHold"/>) once their address has used up its free ones: a held
/// refusal is an open request and a timer, no CPU, so a client that keeps N requests in flight past its allowance
/// sends 1–2 N a second instead of thousands. At most <see cref="AbuseLimitOptions.MaxHeldRefusals"/> at once.
/// </summary>
public sealed class RefusalHold : IDisposable
{
    private readonly AbuseLimitOptions _options;
    private readonly PartitionedRateLimiter<string> _free;
    private int _held;

    public RefusalHold(IOptions<AbuseLimitOptions> options)
    {
        _options = options.Value;
        _free = PartitionedRateLimiter.Create<string, string>(address =>
            !_options.Enabled || _options.FreeRefusals.Off
                ? RateLimitPartition.GetNoLimiter("")
                : RateLimitPartition.GetTokenBucketLimiter(address, _ => _options.FreeRefusals.ToOptions()));
    }

    /// <summary>Refusals being held now.</summary>
    public int Held => Volatile.Read(ref _held);

    /// <summary>Waits out the hold for a refused request; false when the caller went away meanwhile (nothing to answer).</summary>
    public ValueTask<bool> HoldAsync(HttpContext http, TimeSpan? retryAfter = null) =>
        HoldAsync(AbuseLimits.AddressOf(http), retryAfter, http.RequestAborted);

    public async ValueTask<bool> HoldAsync(string address, TimeSpan? retryAfter, CancellationToken aborted)
    {
        // Never past what the refusal's Retry-After tells the client (whole seconds, at least one).
        var told = retryAfter is { } after ? TimeSpan.FromSeconds(AbuseLimits.RetryAfterSeconds(after)) : _options.RefusalHold;
        var hold = told < _options.RefusalHold ? told : _options.RefusalHold;
        if (!_options.Enabled || hold <= TimeSpan.Zero) return true;
        using (var free = _free.AttemptAcquire(address))
            if (free.IsAcquired) return true;
        // Between half the hold and all of it: refusals that came together (a burst in flight) go back spread out, so
        // that the flood's next requests do not come back together either.
        hold *= 0.5 + Random.Shared.NextDouble() / 2;
        if (Interlocked.Increment(ref _held) > _options.MaxHeldRefusals)
        {
            Interlocked.Decrement(ref _held);
            return true;
        }
        try
        {
            await Task.Delay(hold, aborted);
            return true;
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            return false;
        }
        finally
        {
            Interlocked.Decrement(ref _held);
        }
    }

    public void Dispose() => _free.Dispose();
}
