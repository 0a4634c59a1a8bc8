using System.Text.RegularExpressions;

namespace Mediation.Deploy.Tests;

/// <summary>
/// What ops runs during a festival, read from k8s/ without a cluster: each test is a mistake that would otherwise be
/// found at 3 a.m. (a pod never ready, a silo that cannot see its peers, a password in a manifest).
/// </summary>
public sealed class KubernetesManifestTests
{
    private const string Namespace = "mediation";

    private static K8sObject SiloDeployment => Manifests.Single("Deployment", "mediation-silo");
    private static K8sObject ApiDeployment => Manifests.Single("Deployment", "mediation-api");
    private static Node Config => Manifests.Single("ConfigMap", "mediation-config").Node["data"];

    [Fact]
    public void Every_manifest_parses_into_named_objects_of_the_mediation_namespace()
    {
        Assert.NotEmpty(Manifests.All);
        Assert.All(Manifests.All, o =>
        {
            Assert.True(o.Node["apiVersion"].Text is { Length: > 0 }, $"{o}: apiVersion");
            Assert.NotEmpty(o.Kind);
            Assert.NotEmpty(o.Name);
            if (o.Kind != "Namespace") Assert.True(o.Namespace == Namespace, $"{o}: namespace {o.Namespace}");
        });
        Assert.Equal(Namespace, Manifests.Single("Namespace", Namespace).Name);
    }

    [Fact]
    public void Every_long_running_container_is_probed_for_readiness_and_liveness_on_the_health_paths()
    {
        var containers = Manifests.Containers().Where(c => c.Owner.Kind == "Deployment").ToList();
        Assert.Equal(2, containers.Count);
        Assert.All(containers, c =>
        {
            var ports = c.Container["ports"].Items.SelectMany(p => new[] { p["name"].Text, p["containerPort"].Text }).ToHashSet();
            foreach (var (probe, path) in new[] { ("readinessProbe", "/health/ready"), ("livenessProbe", "/health/live") })
            {
                var get = c.Container[probe]["httpGet"];
                Assert.True(get["path"].Text == path, $"{c.Owner}: {probe} on {get["path"].Text ?? "nothing"}, not {path}");
                Assert.True(ports.Contains(get["port"].Text), $"{c.Owner}: {probe} port {get["port"].Text} is not a container port");
            }
        });
    }

    [Fact]
    public void Every_container_requests_and_is_limited_in_cpu_and_memory()
    {
        var containers = Manifests.Containers().ToList();
        Assert.NotEmpty(containers);
        Assert.All(containers, c =>
        {
            foreach (var bound in new[] { "requests", "limits" })
            foreach (var resource in new[] { "cpu", "memory" })
                Assert.True(c.Container["resources"][bound][resource].Text is { Length: > 0 }, $"{c.Owner}: resources.{bound}.{resource}");
        });
    }

    [Fact]
    public void Silo_pods_carry_the_labels_and_variables_Orleans_Kubernetes_hosting_reads()
    {
        var pod = SiloDeployment.Node["spec"]["template"];
        var labels = pod["metadata"]["labels"];
        // The hosting finds the cluster's pods by these labels; they must name the cluster the silos are configured for.
        Assert.Equal(Config["Mediation__ServiceId"].Text, labels["orleans/serviceId"].Text);
        Assert.Equal(Config["Mediation__ClusterId"].Text, labels["orleans/clusterId"].Text);

        var env = Env(Assert.Single(pod["spec"]["containers"].Items));
        Assert.Equal("metadata.name", env["POD_NAME"]["valueFrom"]["fieldRef"]["fieldPath"].Text);
        Assert.Equal("metadata.namespace", env["POD_NAMESPACE"]["valueFrom"]["fieldRef"]["fieldPath"].Text);
        Assert.Equal("status.podIP", env["POD_IP"]["valueFrom"]["fieldRef"]["fieldPath"].Text);
        Assert.Equal("status.podIP", env["Mediation__AdvertisedAddress"]["valueFrom"]["fieldRef"]["fieldPath"].Text);
        Assert.Equal("true", env["Mediation__Kubernetes"]["value"].Text);
    }

    [Fact]
    public void The_silo_service_account_is_bound_to_a_role_that_may_read_watch_and_label_pods()
    {
        var account = SiloDeployment.Node["spec"]["template"]["spec"]["serviceAccountName"].Text;
        Assert.False(string.IsNullOrEmpty(account), "the silo runs under the namespace's default service account");
        Manifests.Single("ServiceAccount", account!);

        var bindings = Manifests.OfKind("RoleBinding").Where(b => b.Node["subjects"].Items.Any(s =>
            s["kind"].Text == "ServiceAccount" && s["name"].Text == account && (s["namespace"].Text ?? b.Namespace) == Namespace)).ToList();
        var verbs = bindings
            .Select(b => b.Node["roleRef"])
            .Where(r => r["kind"].Text == "Role")
            .Select(r => Manifests.Single("Role", r["name"].Text!))
            .SelectMany(role => role.Node["rules"].Items)
            .Where(rule => rule["apiGroups"].Items.Any(g => g.Text == "") && rule["resources"].Items.Any(r => r.Text == "pods"))
            .SelectMany(rule => rule["verbs"].Items.Select(v => v.Text))
            .ToHashSet();
        Assert.Superset(new HashSet<string?> { "get", "list", "watch", "patch" }, verbs);
    }

    [Fact]
    public void API_nodes_join_the_silos_as_Orleans_clients()
    {
        var env = Env(Assert.Single(ApiDeployment.Node["spec"]["template"]["spec"]["containers"].Items));
        Assert.Equal("Client", env["Mediation__ApiHosting"]["value"].Text);
        Assert.Equal("PostgreSql", Config["Mediation__Storage"].Text);
    }

    [Fact]
    public void No_secret_value_is_written_in_the_manifests_only_references_to_secrets_created_with_kubectl()
    {
        // Secrets are created in the cluster (k8s/README.md), never applied from the repository.
        Assert.Empty(Manifests.OfKind("Secret"));

        var sensitive = new Regex("connectionstring|secret|password|passwd|signingkey|privatekey|apikey|token", RegexOptions.IgnoreCase);
        Assert.All(Config.Entries, e => Assert.False(sensitive.IsMatch(e.Key), $"ConfigMap key {e.Key} looks like a secret"));
        foreach (var (owner, container) in Manifests.Containers())
        foreach (var variable in container["env"].Items)
        {
            var name = variable["name"].Text ?? "";
            if (sensitive.IsMatch(name))
                Assert.True(variable["valueFrom"]["secretKeyRef"].Exists, $"{owner}: {name} is not read from a Secret");
        }
        var inlined = new Regex(@"password\s*=|pwd\s*=|-----BEGIN|eyJ[A-Za-z0-9_-]{10,}\.", RegexOptions.IgnoreCase);
        Assert.All(Manifests.All, o => Assert.All(o.Node.Scalars(), s => Assert.False(inlined.IsMatch(s.Value), $"{o}: {s.Path} holds a credential")));

        // Every Secret a pod reads is one the README tells ops to create.
        var readme = File.ReadAllText(Path.Combine(Manifests.Directory, "README.md"));
        var referenced = Manifests.Containers().SelectMany(c =>
            c.Container["envFrom"].Items.Select(e => e["secretRef"]["name"].Text)
                .Concat(c.Container["env"].Items.Select(e => e["valueFrom"]["secretKeyRef"]["name"].Text)))
            .OfType<string>().ToHashSet();
        Assert.Contains("mediation-db", referenced);
        Assert.All(referenced, name => Assert.Contains($"kubectl -n {Namespace} create secret generic {name}", readme));
    }

    [Fact]
    public void Autoscalers_target_deployments_that_exist_and_that_request_cpu()
    {
        var hpas = Manifests.OfKind("HorizontalPodAutoscaler").ToList();
        Assert.Equal(["mediation-api", "mediation-silo"], hpas.Select(h => h.Node["spec"]["scaleTargetRef"]["name"].Text).Order());
        Assert.All(hpas, h =>
        {
            var target = h.Node["spec"]["scaleTargetRef"];
            Assert.Equal("Deployment", target["kind"].Text);
            var deployment = Manifests.Single("Deployment", target["name"].Text!);
            Assert.True(int.Parse(h.Node["spec"]["minReplicas"].Text!) >= 2, $"{h}: one replica is no cluster");
            Assert.True(int.Parse(h.Node["spec"]["maxReplicas"].Text!) > int.Parse(h.Node["spec"]["minReplicas"].Text!), $"{h}: nothing to scale");
            // Utilization is measured against the request: without one the autoscaler does nothing.
            Assert.All(deployment.Node["spec"]["template"]["spec"]["containers"].Items,
                c => Assert.True(c["resources"]["requests"]["cpu"].Text is { Length: > 0 }, $"{deployment}: no cpu request"));
        });
    }

    [Fact]
    public void Disruption_budgets_select_the_silo_and_api_pods()
    {
        foreach (var deployment in new[] { SiloDeployment, ApiDeployment })
        {
            var labels = deployment.Node["spec"]["template"]["metadata"]["labels"].Entries.ToDictionary(e => e.Key, e => e.Value.Text);
            var budgets = Manifests.OfKind("PodDisruptionBudget").Where(p =>
                p.Node["spec"]["selector"]["matchLabels"].Entries.All(e => labels.GetValueOrDefault(e.Key) == e.Value.Text)).ToList();
            var budget = Assert.Single(budgets);
            Assert.True(budget.Node["spec"]["maxUnavailable"].Text == "1" || budget.Node["spec"]["minAvailable"].Exists, $"{budget}: no bound");
        }
    }

    [Fact]
    public void Services_and_deployments_select_their_own_pods()
    {
        foreach (var deployment in Manifests.OfKind("Deployment"))
        {
            var labels = deployment.Node["spec"]["template"]["metadata"]["labels"];
            Assert.All(deployment.Node["spec"]["selector"]["matchLabels"].Entries, e => Assert.Equal(e.Value.Text, labels[e.Key].Text));
        }
        foreach (var service in Manifests.OfKind("Service"))
        {
            var selector = service.Node["spec"]["selector"].Entries.ToList();
            var pods = Manifests.OfKind("Deployment").Where(d => selector.All(e => d.Node["spec"]["template"]["metadata"]["labels"][e.Key].Text == e.Value.Text)).ToList();
            var deployment = Assert.Single(pods);
            var ports = deployment.Node["spec"]["template"]["spec"]["containers"].Items.SelectMany(c => c["ports"].Items).Select(p => p["name"].Text).ToHashSet();
            Assert.All(service.Node["spec"]["ports"].Items, p => Assert.Contains(p["targetPort"].Text, ports));
        }
    }

    [Fact]
    public void Pods_stop_gracefully_within_the_time_Kubernetes_gives_them()
    {
        foreach (var deployment in new[] { SiloDeployment, ApiDeployment })
        {
            var spec = deployment.Node["spec"]["template"]["spec"];
            var grace = int.Parse(spec["terminationGracePeriodSeconds"].Text ?? "30");
            var container = Assert.Single(spec["containers"].Items);
            var shutdown = int.Parse(Env(container)["DOTNET_SHUTDOWNTIMEOUTSECONDS"]["value"].Text ?? "30");
            var preStop = container["lifecycle"]["preStop"]["exec"]["command"].Items.Select(i => i.Text).ToList();
            var pause = preStop is ["sleep", var seconds] ? int.Parse(seconds!) : 0;
            Assert.True(pause + shutdown < grace, $"{deployment}: {pause} s pre-stop + {shutdown} s shutdown >= {grace} s grace");
            Assert.True(shutdown >= 15, $"{deployment}: {shutdown} s is too short to hand grains and connections over");
        }
    }

    [Fact]
    public void Every_image_the_manifests_run_has_a_multi_stage_Dockerfile_for_its_project()
    {
        var images = Manifests.Containers().Select(c => c.Container["image"].Text!).Select(i => i.Split(':')[0]).ToHashSet();
        Assert.Equal(["mediation-api", "mediation-silo"], images.Order());
        foreach (var image in images)
        {
            var project = image["mediation-".Length..];
            var folder = Directory.GetDirectories(Path.Combine(Manifests.Root, "src")).Single(d => string.Equals(Path.GetFileName(d), project, StringComparison.OrdinalIgnoreCase));
            var dockerfile = Path.Combine(folder, "Dockerfile");
            Assert.True(File.Exists(dockerfile), $"{image}: no {dockerfile}");
            var text = File.ReadAllText(dockerfile);
            Assert.Contains("FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build", text);
            Assert.Matches(@"FROM mcr\.microsoft\.com/dotnet/(aspnet|runtime):10\.0", text);
            var assembly = $"Mediation.{Path.GetFileName(folder)}.dll";
            Assert.Contains($"ENTRYPOINT [\"dotnet\", \"{assembly}\"]", text);
            // The API's build runs npm ci for its pages' browser libraries.
            if (File.ReadAllText(Directory.GetFiles(folder, "*.csproj").Single()).Contains("npm ci", StringComparison.Ordinal))
                Assert.Contains("npm", text.Split("RUN dotnet publish")[0]);
        }
    }

    private static Dictionary<string, Node> Env(Node container) =>
        container["env"].Items.ToDictionary(e => e["name"].Text!);
}
