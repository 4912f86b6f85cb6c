using System.Net;
using System.Security.Claims;
using GraphQL.Transport;
using Scheduling.Gateway.GraphQLHttp;

namespace Scheduling.Gateway.Execution;

/// <summary>Reads the transport's request: the GraphQL request, or a coded error saying why it cannot be read.</summary>
internal delegate ValueTask<(GraphQLRequest? Request, GraphQLRequestError? Error)> GraphQLRequestSource();

/// <summary>One operation as a transport hands it to the pipeline.</summary>
/// <param name="Transport">"http", "websocket" (later "sse"), for telemetry.</param>
/// <param name="Caller">Who asks: the principal the transport authenticated (or the anonymous one, where allowed).</param>
/// <param name="ClientAddress">The client's address (X-Forwarded-For from known proxies already applied).</param>
/// <param name="Services">The operation's own scope (its DataLoaders).</param>
/// <param name="QueriesOnly">A safe method (GET): mutations and subscriptions are refused with 405.</param>
/// <param name="StreamsAllowed">Whether the transport can deliver a subscription's events.</param>
internal sealed record OperationRequest(
    string Transport, ClaimsPrincipal Caller, IPAddress? ClientAddress, IServiceProvider Services, bool QueriesOnly, bool StreamsAllowed);
