using System.Text.Json;
using Scheduling.Gateway.Authentication;
using Scheduling.Gateway.Execution;
using Scheduling.Gateway.GraphQLHttp;
using Scheduling.Gateway.Streaming;

namespace Scheduling.Gateway.GraphQLWebSockets;

/// <summary>
/// Runs a socket's operations through the execution pipeline (<see cref="StreamingOperations"/>, as SSE does), as
/// the caller the connection was accepted for, each operation in its own DI scope (its own DataLoaders).
/// </summary>
internal sealed class SocketOperationRunner(HttpContext http, GraphQLHttpRequestReader reader, GraphQLExecutionPipeline pipeline, StreamingOperations streaming)
    : ISocketOperationRunner
{
    public (ParsedRequest? Request, GraphQLRequestError? Error) Read(JsonElement payload) =>
        reader.FromSubscribePayload(payload) is var (request, error) && error is null ? (pipeline.Parse(request!), null) : (null, error);

    public async Task<IDisposable?> RunAsync((ParsedRequest? Request, GraphQLRequestError? Error) request, IOperationSink sink, ConnectionExpiry expiry, CancellationToken aborted)
    {
        var scope = http.RequestServices.GetRequiredService<IServiceScopeFactory>().CreateAsyncScope();
        try
        {
            var running = await streaming.RunAsync(
                new OperationRequest("websocket", http.User, http.Connection.RemoteIpAddress, scope.ServiceProvider, SafeMethod: false, StreamsAllowed: true),
                () => ValueTask.FromResult(request),
                sink,
                expiry,
                aborted);
            if (running is not null)
            {
                return new Running(running, scope);
            }
        }
        catch
        {
            await scope.DisposeAsync();
            throw;
        }

        await scope.DisposeAsync();
        return null;
    }

    /// <summary>A running subscription and its scope: stopping it ends both.</summary>
    private sealed class Running(IDisposable subscription, AsyncServiceScope scope) : IDisposable
    {
        public void Dispose()
        {
            subscription.Dispose();
            // Scoped services here are disposed synchronously; the scope holds no async-only resources.
            ((IDisposable)scope).Dispose();
        }
    }
}
