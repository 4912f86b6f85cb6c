using System.ComponentModel.DataAnnotations;
using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace Scheduling.Gateway.Execution;

/// <summary>
/// Bound from the <c>ForwardedHeaders</c> section: the reverse proxies whose <c>X-Forwarded-For</c> names the client.
/// None by default: the client is the connection's peer, and a client cannot name another address to get its own
/// rate-limit bucket. Behind a load balancer, list its address (or network) here.
/// </summary>
public sealed class KnownProxiesOptions : IValidatableObject
{
    public const string SectionName = "ForwardedHeaders";

    /// <summary>Proxy addresses, e.g. <c>10.0.0.5</c>.</summary>
    public IList<string> KnownProxies { get; } = [];

    /// <summary>Proxy networks in CIDR notation, e.g. <c>172.30.80.0/24</c>.</summary>
    public IList<string> KnownNetworks { get; } = [];

    public bool Any => KnownProxies.Count > 0 || KnownNetworks.Count > 0;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var proxy in KnownProxies.Where(p => !IPAddress.TryParse(p, out _)))
        {
            yield return new ValidationResult($"ForwardedHeaders:KnownProxies: '{proxy}' is not an IP address.", [nameof(KnownProxies)]);
        }

        foreach (var network in KnownNetworks.Where(n => !System.Net.IPNetwork.TryParse(n, out _)))
        {
            yield return new ValidationResult($"ForwardedHeaders:KnownNetworks: '{network}' is not a network in CIDR notation.", [nameof(KnownNetworks)]);
        }
    }
}

public static class KnownProxiesExtensions
{
    /// <summary>
    /// X-Forwarded-For is honoured from the configured proxies only (ASP.NET Core trusts loopback by default), and not at
    /// all when none is configured.
    /// </summary>
    public static IServiceCollection AddKnownProxies(this IServiceCollection services)
    {
        services.AddOptions<KnownProxiesOptions>()
            .BindConfiguration(KnownProxiesOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<KnownProxiesOptions>>((forwarded, proxies) =>
        {
            // With both lists empty ForwardedHeadersMiddleware checks no sender at all and believes every client's
            // X-Forwarded-For; so without a configured proxy the header is not read.
            forwarded.ForwardedHeaders = proxies.Value.Any ? ForwardedHeaders.XForwardedFor : ForwardedHeaders.None;
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            foreach (var proxy in proxies.Value.KnownProxies)
            {
                forwarded.KnownProxies.Add(IPAddress.Parse(proxy));
            }

            foreach (var network in proxies.Value.KnownNetworks)
            {
                forwarded.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
            }
        });
        return services;
    }
}
