using System.Text.Json;
using Microsoft.Extensions.Options;
using Scheduling.Schema.Authorization;
using Scheduling.Schema.Fhir;
using Scheduling.Gateway.GraphQLWebSockets;

namespace Scheduling.Gateway.Authentication;

/// <summary>
/// WebSocket clients authenticate in connection_init, since browsers cannot set headers on a WebSocket:
/// <c>{"Authorization": "Bearer …"}</c> (or <c>authorization</c>, or <c>token</c>). A bad token, or none where one is
/// required, is refused (4403). The accepted principal is what every operation on the connection runs as.
/// </summary>
internal sealed class BearerConnectionInitHandler(GatewayAuthentication authentication, IOptions<FhirOptions> fhir) : IWebSocketConnectionInitHandler
{
    public async ValueTask<bool> AcceptAsync(HttpContext context, JsonElement? payload, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var token = TokenIn(payload);
        if (token is null)
        {
            // A non-browser client may have sent the header with the upgrade request.
            if (authentication.CallerOf(context) is not { } caller)
            {
                return false;
            }

            context.User = caller;
            return true;
        }

        var principal = await GatewayAuthenticationExtensions.ValidateBearerAsync(context, token);
        if (principal is null)
        {
            return false;
        }

        context.User = principal;
        return true;
    }

    /// <summary>
    /// Renewal on a long-lived connection: a <c>ping</c> whose payload carries <c>{"Authorization": "Bearer …"}</c>
    /// (or <c>authorization</c>, or <c>token</c>), validated like the first, for the same subject and with the same
    /// rights (role, patient, practitioner), replaces the connection's principal and so its expiry. A token with other
    /// rights is refused: subscriptions already running were authorized as the first caller and would go on delivering
    /// what only that caller may see. Anything else in the payload is an ordinary ping.
    /// </summary>
    public async ValueTask<CredentialRenewal> RenewAsync(HttpContext context, JsonElement payload, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (TokenIn(payload) is not { } token)
        {
            return CredentialRenewal.None;
        }

        var principal = await GatewayAuthenticationExtensions.ValidateBearerAsync(context, token);
        var subject = principal?.FindFirst("sub")?.Value;
        if (subject is null || subject != context.User.FindFirst("sub")?.Value ||
            SchedulingCaller.From(principal, fhir.Value.TrustedFhirUserBases) != SchedulingCaller.From(context.User, fhir.Value.TrustedFhirUserBases))
        {
            return CredentialRenewal.Refused;
        }

        context.User = principal!;
        return CredentialRenewal.Renewed;
    }

    private static string? TokenIn(JsonElement? payload)
    {
        if (payload is not { ValueKind: JsonValueKind.Object } body)
        {
            return null;
        }

        foreach (var name in (string[])["Authorization", "authorization", "token"])
        {
            if (body.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text)
            {
                return text.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? text[7..].Trim() : text;
            }
        }

        return null;
    }
}
