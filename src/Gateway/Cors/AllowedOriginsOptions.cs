using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.Extensions.Options;

namespace Scheduling.Gateway.Cors;

/// <summary>
/// Bound from the <c>Cors</c> section: the browser origins other than the gateway's own that may call it. CORS answers
/// them over HTTP and the WebSocket upgrade admits them (<see cref="WebSocketOriginPolicy"/>): one list for both.
/// </summary>
public sealed class AllowedOriginsOptions : IValidatableObject
{
    public const string SectionName = "Cors";

    /// <summary>Origins as a browser sends them: <c>https://app.example.org</c> (scheme, host, optional port; no path, no wildcard).</summary>
    public IList<string> AllowedOrigins { get; } = [];

    public bool Allows(Uri origin)
    {
        ArgumentNullException.ThrowIfNull(origin);
        return AllowedOrigins.Any(allowed => Uri.TryCreate(allowed, UriKind.Absolute, out var uri) &&
            Uri.Compare(uri, origin, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0);
    }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var origin in AllowedOrigins)
        {
            if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") ||
                uri.PathAndQuery != "/" || origin.EndsWith('/') || !string.IsNullOrEmpty(uri.UserInfo))
            {
                yield return new ValidationResult(
                    $"Cors:AllowedOrigins: '{origin}' is not an origin; write it as a browser sends it, e.g. https://app.example.org (no path, no trailing slash, no wildcard).",
                    [nameof(AllowedOrigins)]);
            }
        }
    }
}

public static class GatewayCorsExtensions
{
    /// <summary>CORS for the configured origins, and the same origins checked on WebSocket upgrades.</summary>
    public static IServiceCollection AddGatewayCors(this IServiceCollection services)
    {
        services.AddOptions<AllowedOriginsOptions>()
            .BindConfiguration(AllowedOriginsOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddCors();
        services.AddOptions<CorsOptions>().Configure<IOptions<AllowedOriginsOptions>>((cors, origins) => cors.AddDefaultPolicy(policy =>
            policy.WithOrigins([.. origins.Value.AllowedOrigins]).WithMethods("GET", "POST").WithHeaders("content-type", "authorization", "accept")
                .WithExposedHeaders("Server-Timing").SetPreflightMaxAge(TimeSpan.FromHours(1))));
        services.AddSingleton<WebSocketOriginPolicy>();
        return services;
    }
}
