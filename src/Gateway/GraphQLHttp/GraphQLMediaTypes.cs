using Microsoft.Net.Http.Headers;

namespace Scheduling.Gateway.GraphQLHttp;

/// <summary>The media types of GraphQL over HTTP and how a response type is chosen from Accept.</summary>
internal static class GraphQLMediaTypes
{
    public const string GraphQLResponse = "application/graphql-response+json";
    public const string Json = "application/json";
    public const string EventStream = "text/event-stream";

    /// <summary>
    /// Whether the client asks for an event stream (GraphQL over SSE): <c>text/event-stream</c> is its most preferred of
    /// that and the two GraphQL JSON types (the first listed among equals). Wildcards decide nothing: <c>*/*</c> is JSON.
    /// </summary>
    public static bool PrefersEventStream(IList<MediaTypeHeaderValue> accept)
    {
        ArgumentNullException.ThrowIfNull(accept);
        foreach (var candidate in accept.OrderByDescending(a => a.Quality ?? 1.0))
        {
            if (candidate.Quality == 0)
            {
                continue;
            }

            if (candidate.MediaType.Equals(EventStream, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }

            if (candidate.MediaType.Equals(GraphQLResponse, StringComparison.OrdinalIgnoreCase) || candidate.MediaType.Equals(Json, StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }

        return false;
    }

    /// <summary>
    /// The response type for an Accept header: the client's most preferred of the two GraphQL types;
    /// <c>*/*</c>, <c>application/*</c> or no Accept at all mean application/json (the spec's legacy default).
    /// Null when the client accepts neither.
    /// </summary>
    public static string? Negotiate(IList<MediaTypeHeaderValue> accept)
    {
        if (accept.Count == 0)
        {
            return Json;
        }

        foreach (var candidate in accept.OrderByDescending(a => a.Quality ?? 1.0))
        {
            if (candidate.Quality == 0)
            {
                continue;
            }

            if (candidate.MediaType.Equals(GraphQLResponse, StringComparison.OrdinalIgnoreCase))
            {
                return GraphQLResponse;
            }

            if (candidate.MediaType.Equals(Json, StringComparison.OrdinalIgnoreCase) ||
                candidate.MediaType.Equals("*/*", StringComparison.Ordinal) ||
                candidate.MediaType.Equals("application/*", StringComparison.OrdinalIgnoreCase))
            {
                return Json;
            }
        }

        return null;
    }

    /// <summary>A POST body must be JSON (application/json, or the spec's application/graphql-request+json) in UTF-8.</summary>
    public static bool IsAcceptedRequestType(string? contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var parsed))
        {
            return false;
        }

        var type = parsed.MediaType.Value;
        var isJson = string.Equals(type, Json, StringComparison.OrdinalIgnoreCase) ||
                     string.Equals(type, "application/graphql-request+json", StringComparison.OrdinalIgnoreCase);
        var charset = parsed.Charset.Value;
        return isJson && (charset is null || charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase));
    }
}
