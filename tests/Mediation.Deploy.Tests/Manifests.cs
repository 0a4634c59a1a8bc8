using YamlDotNet.RepresentationModel;

namespace Mediation.Deploy.Tests;

/// <summary>Every object of every YAML file under k8s/, read once, as plain maps and lists.</summary>
public static class Manifests
{
    public static string Root { get; } = FindRoot();
    public static string Directory => Path.Combine(Root, "k8s");

    public static IReadOnlyList<K8sObject> All { get; } = Load();

    public static IEnumerable<K8sObject> OfKind(string kind) => All.Where(o => o.Kind == kind);

    public static K8sObject Single(string kind, string name) => Assert.Single(All, o => o.Kind == kind && o.Name == name);

    /// <summary>The pod templates of Deployments and Jobs: what Kubernetes actually runs.</summary>
    public static IEnumerable<(K8sObject Owner, Node Pod)> PodTemplates() =>
        All.Where(o => o.Kind is "Deployment" or "Job" or "StatefulSet" or "DaemonSet")
            .Select(o => (o, o.Node["spec"]["template"]));

    public static IEnumerable<(K8sObject Owner, Node Container)> Containers() =>
        PodTemplates().SelectMany(t => t.Pod["spec"]["containers"].Items.Concat(t.Pod["spec"]["initContainers"].Items)
            .Select(c => (t.Owner, c)));

    private static List<K8sObject> Load()
    {
        var objects = new List<K8sObject>();
        foreach (var file in System.IO.Directory.GetFiles(Directory, "*.yaml").Concat(System.IO.Directory.GetFiles(Directory, "*.yml")).Order())
        {
            var stream = new YamlStream();
            using (var reader = File.OpenText(file)) stream.Load(reader);
            foreach (var document in stream.Documents)
            {
                if (document.RootNode is YamlScalarNode { Value: null or "" }) continue;
                var node = new Node(document.RootNode);
                objects.Add(new K8sObject(Path.GetFileName(file), node));
            }
        }
        return objects;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Mediation.sln"))) return dir.FullName;
        throw new InvalidOperationException("Mediation.sln not found above " + AppContext.BaseDirectory);
    }
}

public sealed record K8sObject(string File, Node Node)
{
    public string Kind => Node["kind"].Text ?? "";
    public string Name => Node["metadata"]["name"].Text ?? "";
    public string? Namespace => Node["metadata"]["namespace"].Text;
    public override string ToString() => $"{Kind}/{Name} ({File})";
}

/// <summary>A YAML node that answers absent keys with an empty node, so paths read like the manifest.</summary>
public sealed class Node(YamlNode? yaml)
{
    public static readonly Node Missing = new(null);

    public bool Exists => yaml is not null;
    public string? Text => (yaml as YamlScalarNode)?.Value;

    public Node this[string key] =>
        yaml is YamlMappingNode map && map.Children.TryGetValue(new YamlScalarNode(key), out var child) ? new Node(child) : Missing;

    public IEnumerable<Node> Items => yaml is YamlSequenceNode list ? list.Children.Select(c => new Node(c)) : [];

    public IEnumerable<(string Key, Node Value)> Entries =>
        yaml is YamlMappingNode map ? map.Children.Select(c => (((YamlScalarNode)c.Key).Value ?? "", new Node(c.Value))) : [];

    /// <summary>Every scalar below this node with its dotted path, for searches across a whole object.</summary>
    public IEnumerable<(string Path, string Value)> Scalars(string prefix = "")
    {
        switch (yaml)
        {
            case YamlScalarNode scalar:
                yield return (prefix, scalar.Value ?? "");
                break;
            case YamlMappingNode:
                foreach (var (key, value) in Entries)
                foreach (var s in value.Scalars(prefix.Length == 0 ? key : $"{prefix}.{key}")) yield return s;
                break;
            case YamlSequenceNode:
                var i = 0;
                foreach (var item in Items)
                foreach (var s in item.Scalars($"{prefix}[{i++}]")) yield return s;
                break;
        }
    }
}
