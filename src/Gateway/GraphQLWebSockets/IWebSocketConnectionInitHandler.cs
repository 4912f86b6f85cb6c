using System.Text.Json;

namespace Scheduling.Gateway.GraphQLWebSockets;

/// <summary>Decides whether a connection_init is accepted (4403 otherwise); where WebSocket clients authenticate.</summary>
public interface IWebSocketConnectionInitHandler
{
    ValueTask<bool> AcceptAsync(HttpContext context, JsonElement? payload, CancellationToken cancellationToken);

    /// <summary>
    /// A <c>ping</c> on an acknowledged connection whose payload may carry new credentials for the same caller (see
    /// <see cref="CredentialRenewal"/>); when renewed, <c>context.User</c> is the new principal. By default pings renew nothing.
    /// </summary>
    ValueTask<CredentialRenewal> RenewAsync(HttpContext context, JsonElement payload, CancellationToken cancellationToken) =>
        ValueTask.FromResult(CredentialRenewal.None);
}

/// <summary>What a ping's payload did to a connection's credentials.</summary>
public enum CredentialRenewal
{
    /// <summary>It carried none: an ordinary ping.</summary>
    None,

    /// <summary>Valid credentials for the same caller: they replace the old ones (and their expiry).</summary>
    Renewed,

    /// <summary>Invalid credentials, or another caller's: the connection is closed with 4403.</summary>
    Refused,
}

/// <summary>Accepts every connection: the default where the host registers no handler of its own.</summary>
public sealed class AcceptingConnectionInitHandler : IWebSocketConnectionInitHandler
{
    public ValueTask<bool> AcceptAsync(HttpContext context, JsonElement? payload, CancellationToken cancellationToken) => ValueTask.FromResult(true);
}
