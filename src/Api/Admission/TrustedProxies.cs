using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace Mediation.Api.Admission;

/// <summary>
/// Mediation:ForwardedHeaders: the proxies (an ingress, a load balancer) whose <c>X-Forwarded-For</c> and
/// <c>X-Forwarded-Proto</c> are believed. <c>KnownProxies</c> are addresses, <c>KnownNetworks</c> CIDR ranges
/// (<c>10.0.0.0/8</c>), <c>ForwardLimit</c> how many proxies deep to look (default 1). With neither list configured the
/// headers are ignored altogether: a client could otherwise name any address it likes.
/// </summary>
public sealed class TrustedProxyOptions
{
    public const string Section = "Mediation:ForwardedHeaders";

    public string[] KnownProxies { get; set; } = [];
    public string[] KnownNetworks { get; set; } = [];
    public int ForwardLimit { get; set; } = 1;

    public bool Configured => KnownProxies.Length > 0 || KnownNetworks.Length > 0;
}

/// <summary>ASP.NET Core's forwarded-headers middleware, on only for the proxies named in configuration.</summary>
public static class TrustedProxies
{
    public static WebApplicationBuilder AddTrustedProxies(this WebApplicationBuilder builder)
    {
        var trusted = builder.Configuration.GetSection(TrustedProxyOptions.Section).Get<TrustedProxyOptions>() ?? new();
        builder.Services.AddSingleton(trusted);
        builder.Services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            o.ForwardLimit = trusted.ForwardLimit;
            // Only what is configured: not the loopback defaults.
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
            foreach (var proxy in trusted.KnownProxies)
                o.KnownProxies.Add(IPAddress.TryParse(proxy, out var address) ? address
                    : throw new InvalidOperationException($"{TrustedProxyOptions.Section}:KnownProxies: '{proxy}' is not an IP address"));
            foreach (var network in trusted.KnownNetworks)
                o.KnownIPNetworks.Add(System.Net.IPNetwork.TryParse(network, out var range) ? range
                    : throw new InvalidOperationException($"{TrustedProxyOptions.Section}:KnownNetworks: '{network}' is not a CIDR range such as 10.0.0.0/8"));
        });
        return builder;
    }

    public static IApplicationBuilder UseTrustedProxies(this WebApplication app) =>
        app.Services.GetRequiredService<TrustedProxyOptions>().Configured ? app.UseForwardedHeaders() : app;
}
