using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Scheduling.Gateway.GraphQLWebSockets;
using Scheduling.Schema.Authorization;

namespace Scheduling.Gateway.Authentication;

/// <summary>
/// Who a request comes from: a validated JWT bearer token (HTTP: the Authorization header; WebSocket: the
/// connection_init payload), or, where allowed, an anonymous caller with full access.
/// </summary>
public sealed class GatewayAuthentication(IOptions<GatewayAuthOptions> options, IHostEnvironment environment)
{
    /// <summary>The principal anonymous callers run as, where anonymous access is allowed.</summary>
    public static readonly ClaimsPrincipal Anonymous = new(new ClaimsIdentity(
        [new Claim(SchedulingClaims.Role, nameof(CallerRole.Admin)), new Claim(ClaimTypes.Name, "anonymous")],
        "anonymous-allowed"));

    public bool AnonymousAllowed => options.Value.AnonymousAllowed(environment.IsDevelopment());

    /// <summary>
    /// The principal to run an HTTP request as, or null when it must be refused (401): no token where one is
    /// required, or a token that failed validation (never quietly downgraded to anonymous).
    /// </summary>
    public ClaimsPrincipal? CallerOf(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (http.User.Identity?.IsAuthenticated == true)
        {
            return http.User;
        }

        var sentToken = !string.IsNullOrEmpty(http.Request.Headers.Authorization);
        return !sentToken && AnonymousAllowed ? Anonymous : null;
    }
}

public static class GatewayAuthenticationExtensions
{
    public static IServiceCollection AddGatewayAuthentication(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<GatewayAuthOptions>()
            .BindConfiguration(GatewayAuthOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<GatewayAuthOptions>, GatewayAuthOptionsValidator>();
        services.AddSingleton<GatewayAuthentication>();
        services.AddSingleton<IWebSocketConnectionInitHandler, BearerConnectionInitHandler>();

        var settings = configuration.GetSection(GatewayAuthOptions.SectionName).Get<GatewayAuthOptions>() ?? new();
        var authentication = services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme);
        if (settings.IsConfigured)
        {
            authentication.AddJwtBearer();
            services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
                .Configure<IOptions<GatewayAuthOptions>>((jwt, auth) => Configure(jwt, auth.Value));
        }

        return services;
    }

    /// <summary>The token checks, from the validated <see cref="GatewayAuthOptions"/>.</summary>
    private static void Configure(JwtBearerOptions jwt, GatewayAuthOptions settings)
    {
        // Claims keep their JWT names (role, patient, fhirUser), as authorization reads them.
        jwt.MapInboundClaims = false;
        jwt.TokenValidationParameters.NameClaimType = "sub";
        jwt.TokenValidationParameters.RoleClaimType = SchedulingClaims.Role;
        jwt.TokenValidationParameters.ClockSkew = TimeSpan.FromSeconds(settings.ClockSkewSeconds);
        // The raw token stays on the identity, for passing the caller's identity on to the FHIR server
        // (JsonWebTokenHandler ignores SaveSigninToken).
        jwt.Events = new JwtBearerEvents
        {
            OnTokenValidated = validated =>
            {
                KeepToken(validated.Principal, (validated.SecurityToken as JsonWebToken)?.EncodedToken);
                return Task.CompletedTask;
            },
        };
        if (!string.IsNullOrEmpty(settings.Authority) && Uri.TryCreate(settings.Authority, UriKind.Absolute, out var authority))
        {
            jwt.Authority = settings.Authority;
            jwt.Audience = settings.Audience;
            jwt.RequireHttpsMetadata = authority.Scheme == Uri.UriSchemeHttps || !authority.IsLoopback;
        }
        else if (!string.IsNullOrEmpty(settings.SigningKey))
        {
            // Issuer and audience are required with a shared key (GatewayAuthOptionsValidator) unless explicitly waived.
            jwt.TokenValidationParameters.IssuerSigningKey = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(settings.SigningKey));
            jwt.TokenValidationParameters.ValidateIssuer = !string.IsNullOrEmpty(settings.Issuer);
            jwt.TokenValidationParameters.ValidIssuer = settings.Issuer;
            jwt.TokenValidationParameters.ValidateAudience = !string.IsNullOrEmpty(settings.Audience);
            jwt.TokenValidationParameters.ValidAudience = settings.Audience;
        }
    }

    private static void KeepToken(ClaimsPrincipal? principal, string? token)
    {
        if (principal?.Identity is ClaimsIdentity identity && token is not null)
        {
            identity.BootstrapContext = token;
        }
    }

    /// <summary>The JWT bearer validation the HTTP pipeline and the WebSocket handshake share.</summary>
    internal static async Task<ClaimsPrincipal?> ValidateBearerAsync(HttpContext http, string token)
    {
        var schemes = http.RequestServices.GetRequiredService<IAuthenticationSchemeProvider>();
        if (await schemes.GetSchemeAsync(JwtBearerDefaults.AuthenticationScheme) is null)
        {
            return null;
        }

        var jwt = http.RequestServices.GetRequiredService<IOptionsMonitor<JwtBearerOptions>>().Get(JwtBearerDefaults.AuthenticationScheme);
        var parameters = jwt.TokenValidationParameters.Clone();
        if (jwt.ConfigurationManager is { } discovery)
        {
            var configuration = await discovery.GetConfigurationAsync(http.RequestAborted);
            parameters.ValidIssuers = [.. parameters.ValidIssuers ?? [], configuration.Issuer];
            parameters.IssuerSigningKeys = [.. parameters.IssuerSigningKeys ?? [], .. configuration.SigningKeys];
            parameters.ValidAudience ??= jwt.Audience;
        }

        foreach (var handler in jwt.TokenHandlers)
        {
            var result = await handler.ValidateTokenAsync(token, parameters);
            if (result.IsValid)
            {
                var principal = new ClaimsPrincipal(result.ClaimsIdentity);
                KeepToken(principal, token);
                return principal;
            }
        }

        return null;
    }
}
