using Mediation.Silo.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Mediation.Silo.Tests;

/// <summary>Orleans' Kubernetes hosting is on in a pod (k8s/silo.yaml sets Mediation:Kubernetes) and nowhere else.</summary>
public sealed class KubernetesHostingTests
{
    [Theory]
    [InlineData(null, false)]
    [InlineData("false", false)]
    [InlineData("true", true)]
    public void Kubernetes_hosting_is_added_only_when_configured(string? setting, bool expected)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["MEDIATION_DATA_DIR"] = Path.Combine(Path.GetTempPath(), $"mediation-k8s-{Guid.NewGuid():N}"),
            ["Mediation:Kubernetes"] = setting,
        });

        builder.AddMediationSilo();

        // The package's own services (its options and cluster agent), not the serializer metadata every referenced
        // Orleans assembly contributes.
        var fromKubernetesHosting = builder.Services.Where(d =>
            (d.ImplementationType ?? d.ServiceType).Namespace == "Orleans.Hosting.Kubernetes").ToList();
        Assert.Equal(expected, fromKubernetesHosting.Count > 0);
    }
}
