using Microsoft.Extensions.Options;

namespace Scheduling.Gateway.Cors;

/// <summary>
/// Cross-site WebSocket hijacking: a browser opens a WebSocket to any site, with that site's cookies, and CORS does
/// not apply to it. So an upgrade that carries an <c>Origin</c> (every browser sends one) must come from the gateway's
/// own origin or one of <see cref="AllowedOriginsOptions.AllowedOrigins"/>; otherwise it is refused (403) before it
/// is accepted. Clients that are not browsers send no Origin and are let through (they authenticate like everyone).
/// </summary>
public sealed class WebSocketOriginPolicy(IOptions<AllowedOriginsOptions> options)
{
    public bool Allows(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var header = request.Headers.Origin;
        if (header.Count == 0)
        {
            return true;
        }

        if (header.Count > 1 || !Uri.TryCreate(header[0], UriKind.Absolute, out var origin) || origin.Scheme is not ("http" or "https"))
        {
            return false; // "null" (sandboxed frames, file:) and anything malformed
        }

        return IsOwn(request, origin) || options.Value.Allows(origin);
    }

    /// <summary>
    /// The gateway's own origin: the host the request was sent to, port included. The scheme is not compared, so a
    /// proxy that ends TLS in front (the browser says https, Kestrel sees http) still matches; a missing port in
    /// the Host header means the origin scheme's default port.
    /// </summary>
    private static bool IsOwn(HttpRequest request, Uri origin) =>
        request.Host.HasValue &&
        string.Equals(request.Host.Host, origin.IdnHost, StringComparison.OrdinalIgnoreCase) &&
        (request.Host.Port ?? origin.Port) == origin.Port;
}
