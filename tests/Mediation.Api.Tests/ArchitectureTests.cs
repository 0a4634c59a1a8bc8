using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace Mediation.Api.Tests;

/// <summary>The edge knows the contract (Abstractions) and the hosting extension, never a grain class.</summary>
public sealed class ArchitectureTests
{
    [Fact]
    public void The_api_assembly_references_no_type_of_the_grains_assembly()
    {
        var path = typeof(Program).Assembly.Location;
        using var stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        var metadata = pe.GetMetadataReader();

        var referenced = metadata.TypeReferences
            .Select(handle => metadata.GetTypeReference(handle))
            .Select(t => $"{metadata.GetString(t.Namespace)}.{metadata.GetString(t.Name)}")
            .ToList();
        Assert.Contains(referenced, name => name.StartsWith("Mediation.", StringComparison.Ordinal)); // the check sees our own types
        Assert.DoesNotContain(referenced, name => name.StartsWith("Mediation.Grains", StringComparison.Ordinal));

        // Nor does any of its assembly references name the grains assembly except through hosting (Mediation.Silo).
        var assemblies = metadata.AssemblyReferences.Select(h => metadata.GetString(metadata.GetAssemblyReference(h).Name)).ToList();
        Assert.Contains("Mediation.Abstractions", assemblies);
        Assert.DoesNotContain("Mediation.Grains", assemblies);
    }
}
