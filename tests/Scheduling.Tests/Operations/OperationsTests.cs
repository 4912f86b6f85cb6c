using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Scheduling.Schema.Telemetry;
using Scheduling.Testing;
using Scheduling.Tests.Fhir;

namespace Scheduling.Tests.Operations;

/// <summary>Traces, health and shutdown, as an operator sees them.</summary>
[Collection(MedplumCollection.Name)]
public sealed class OperationsTests(MedplumFixture medplum)
{
    [Fact]
    public async Task Each_operation_has_a_span_with_its_FHIR_requests_as_children_and_their_count()
    {
        var spans = new ConcurrentBag<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == GatewayTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Add,
        };
        ActivitySource.AddActivityListener(listener);
        await using var gateway = await GatewayServer.StartAsync(medplum.Settings(("Cache:Enabled", "false")));
        var world = await BookingWorld.CreateAsync(medplum.Store, slots: 4);

        await medplum.Server.ResetCountsAsync();
        using var response = await gateway.PostAsync(
            "query TelemetryProbe($id: ID!) { schedule(id: $id) { slots { nodes { id appointments { nodes { id } } } } actors { __typename } } }",
            new { id = world.Schedule.Id });
        var upstream = (await medplum.Server.RequestsAsync()).Count;

        var operation = Assert.Single(spans, s => s.DisplayName == "GraphQL query TelemetryProbe");
        Assert.Equal((long)upstream, operation.GetTagItem("fhir.request_count"));
        var children = spans.Where(s => s.ParentSpanId == operation.SpanId && s.DisplayName.StartsWith("FHIR GET", StringComparison.Ordinal)).ToList();
        Assert.Equal(upstream, children.Count);
        Assert.Contains(children, c => (string?)c.GetTagItem("fhir.resource_type") == "Slot");

        var timing = response.Headers.GetValues("Server-Timing").Single();
        Assert.Contains($"desc=\"{upstream} requests\"", timing, StringComparison.Ordinal);
        Assert.Contains("gateway;dur=", timing, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ready_follows_the_FHIR_server_and_live_does_not()
    {
        await using var up = await GatewayServer.StartAsync(medplum.Settings());
        Assert.Equal(HttpStatusCode.OK, (await up.Client.GetAsync("/health/ready")).StatusCode);

        using var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        var settings = medplum.Settings();
        settings["Fhir:BaseUrl"] = $"http://127.0.0.1:{port}/fhir";
        await using var down = await GatewayServer.StartAsync(settings);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await down.Client.GetAsync("/health/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await down.Client.GetAsync("/health/live")).StatusCode);
    }

    [Fact]
    public async Task Shutting_down_finishes_requests_in_flight_and_closes_sockets_with_1001()
    {
        var gateway = await GatewayServer.StartAsync(medplum.Settings(("Cache:Enabled", "false")));
        var world = await BookingWorld.CreateAsync(medplum.Store);
        using var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol("graphql-transport-ws");
        await socket.ConnectAsync(new UriBuilder(gateway.GraphQLUrl) { Scheme = "ws" }.Uri, CancellationToken.None);
        await socket.SendAsync(Encoding.UTF8.GetBytes("""{"type":"connection_init"}"""), WebSocketMessageType.Text, true, CancellationToken.None);
        await socket.ReceiveAsync(new byte[256], CancellationToken.None);

        await medplum.Server.Control.PostAsync("latency?ms=700", null);
        try
        {
            var inFlight = gateway.QueryAsync("query($id: ID!) { schedule(id: $id) { fhirId } }", new { id = world.Schedule.Id });
            await Task.Delay(200);
            var stopping = gateway.DisposeAsync().AsTask();

            var closing = await socket.ReceiveAsync(new byte[256], new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);
            Assert.Equal(WebSocketMessageType.Close, closing.MessageType);
            Assert.Equal((WebSocketCloseStatus)1001, socket.CloseStatus);
            Assert.Equal(world.Schedule.Id, (await inFlight).At("data.schedule.fhirId")!.GetValue<string>());
            await stopping;
        }
        finally
        {
            await medplum.Server.Control.PostAsync("latency?ms=0", null);
        }
    }
}
