using Scheduling.Testing;
using YamlDotNet.RepresentationModel;

namespace Scheduling.Tests.Operations;

/// <summary>
/// No Docker engine runs here, so the deployment files are checked by reading them: the services, ports and
/// settings the gateway needs, and an image that builds in stages and runs as a non-root user.
/// </summary>
public sealed class DeploymentFileTests
{
    private static readonly YamlMappingNode Compose = Load(Path.Combine(RepoPaths.Root, "docker-compose.yml"));

    [Fact]
    public void Compose_runs_two_gateway_replicas_behind_one_port_with_redis_and_a_fhir_server()
    {
        var services = (YamlMappingNode)Compose["services"];
        Assert.Equal(["fhir", "gateway-1", "gateway-2", "lb", "redis"], services.Children.Keys.Select(k => k.ToString()).Order());

        var lb = (YamlMappingNode)services["lb"];
        Assert.Equal(["5080:8080"], ((YamlSequenceNode)lb["ports"]).Select(p => p.ToString()));
        Assert.Contains(((YamlSequenceNode)lb["volumes"]).Select(v => v.ToString()), v => v.StartsWith("./deploy/nginx.conf:", StringComparison.Ordinal));
        var nginx = File.ReadAllText(Path.Combine(RepoPaths.Root, "deploy", "nginx.conf"));
        Assert.Contains("server gateway-1:8080;", nginx, StringComparison.Ordinal);
        Assert.Contains("server gateway-2:8080;", nginx, StringComparison.Ordinal);
        Assert.Contains("proxy_set_header Upgrade", nginx, StringComparison.Ordinal); // subscriptions pass through

        Assert.Contains("hapiproject/hapi", ((YamlMappingNode)services["fhir"])["image"].ToString(), StringComparison.Ordinal);
        Assert.StartsWith("redis:", ((YamlMappingNode)services["redis"])["image"].ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("gateway-1")]
    [InlineData("gateway-2")]
    public void Each_replica_gets_the_settings_the_gateway_needs(string name)
    {
        var gateway = (YamlMappingNode)((YamlMappingNode)Compose["services"])[name];
        var environment = ((YamlMappingNode)gateway["environment"]).Children.ToDictionary(e => e.Key.ToString(), e => e.Value.ToString());

        Assert.Equal(".", gateway["build"].ToString());
        Assert.Equal("http://fhir:8080/fhir", environment["Fhir__BaseUrl"]);
        Assert.Equal("redis:6379", environment["Redis__Configuration"]);
        // The listen address follows ASP.NET Core's conventions (the image's ASPNETCORE_HTTP_PORTS); a Urls setting would override an operator's.
        Assert.DoesNotContain("Urls", environment.Keys);
        Assert.Contains("ENV ASPNETCORE_HTTP_PORTS=8080", File.ReadAllText(Path.Combine(RepoPaths.Root, "Dockerfile")), StringComparison.Ordinal);
        // Behind the load balancer every request comes from nginx: the client address comes from X-Forwarded-For,
        // trusted from nginx's fixed address only (never from everyone, as ASPNETCORE_FORWARDEDHEADERS_ENABLED would).
        Assert.DoesNotContain("ASPNETCORE_FORWARDEDHEADERS_ENABLED", environment.Keys);
        var lb = (YamlMappingNode)((YamlMappingNode)Compose["services"])["lb"];
        Assert.Equal(environment["ForwardedHeaders__KnownProxies__0"], lb["networks"]["default"]["ipv4_address"].ToString());
        var dependsOn = (YamlMappingNode)gateway["depends_on"];
        Assert.Equal("service_healthy", ((YamlMappingNode)dependsOn["redis"])["condition"].ToString());
        var probe = ((YamlSequenceNode)gateway["healthcheck"]["test"]).Select(t => t.ToString()).ToList();
        Assert.Contains("http://localhost:8080/health/live", probe);
        // The probe's tool must exist in the image.
        Assert.Contains(probe[1], File.ReadAllText(Path.Combine(RepoPaths.Root, "Dockerfile")), StringComparison.Ordinal);

        // Every setting named in the environment is one the gateway binds (a typo would silently do nothing).
        var known = new[] { "ForwardedHeaders__", "Fhir__", "Redis__", "ChangeFeed__", "Logging__", "Booking__", "Cache__", "WebSockets__", "GraphQL__", "Auth__", "OTEL_" };
        Assert.All(environment.Keys, key => Assert.Contains(known, prefix => key.StartsWith(prefix, StringComparison.Ordinal)));
        var fhirSettings = typeof(Scheduling.Schema.Fhir.FhirOptions).GetProperties().Select(p => "Fhir__" + p.Name).ToHashSet();
        Assert.All(environment.Keys.Where(k => k.StartsWith("Fhir__", StringComparison.Ordinal)), key => Assert.Contains(key, fhirSettings));
        var authSettings = typeof(Scheduling.Gateway.Authentication.GatewayAuthOptions).GetProperties().Select(p => "Auth__" + p.Name).ToHashSet();
        Assert.All(environment.Keys.Where(k => k.StartsWith("Auth__", StringComparison.Ordinal)), key => Assert.Contains(key, authSettings));
        // Production refuses to start without authentication; compose passes the operator's issuer through.
        Assert.Equal("${AUTH_AUTHORITY:-}", environment["Auth__Authority"]);
    }

    [Fact]
    public void The_local_port_comes_from_the_launch_profile_so_ASPNETCORE_URLS_is_not_overridden()
    {
        var gateway = Path.Combine(RepoPaths.Root, "src", "Gateway");
        var appsettings = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(gateway, "appsettings.json")))!.AsObject();
        Assert.DoesNotContain(appsettings, setting => string.Equals(setting.Key, "Urls", StringComparison.OrdinalIgnoreCase));
        var launch = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(gateway, "Properties", "launchSettings.json")))!;
        Assert.Equal("http://127.0.0.1:5080", launch["profiles"]!["Scheduling.Gateway"]!["applicationUrl"]!.GetValue<string>());
    }

    [Fact]
    public void The_image_builds_in_stages_and_runs_as_a_non_root_user()
    {
        var lines = File.ReadAllLines(Path.Combine(RepoPaths.Root, "Dockerfile")).Select(l => l.Trim()).ToList();
        var stages = lines.Where(l => l.StartsWith("FROM ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, stages.Count);
        Assert.Contains("dotnet/sdk:10.0", stages[0], StringComparison.Ordinal);
        Assert.Contains("dotnet/aspnet:10.0", stages[1], StringComparison.Ordinal);
        var user = lines.LastOrDefault(l => l.StartsWith("USER ", StringComparison.Ordinal));
        Assert.NotNull(user);
        Assert.DoesNotContain("root", user, StringComparison.Ordinal);
        Assert.True(lines.IndexOf(user) > lines.IndexOf(stages[1]), "USER is set in the runtime stage");
    }

    private static YamlMappingNode Load(string path)
    {
        var yaml = new YamlStream();
        using var reader = new StreamReader(path);
        yaml.Load(reader);
        return (YamlMappingNode)yaml.Documents[0].RootNode;
    }
}
