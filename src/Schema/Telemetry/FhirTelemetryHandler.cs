using System.Diagnostics;

namespace Scheduling.Schema.Telemetry;

/// <summary>A span, metrics and the operation's cost for every request to the FHIR server (inside retries: each attempt counts).</summary>
public sealed class FhirTelemetryHandler : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var resourceType = request.RequestUri?.Segments.LastOrDefault(s => s.Length > 1 && char.IsUpper(s[0]))?.TrimEnd('/') ?? "unknown";
        using var activity = GatewayTelemetry.Source.StartActivity("FHIR " + request.Method.Method + " " + resourceType, ActivityKind.Client);
        activity?.SetTag("http.request.method", request.Method.Method);
        activity?.SetTag("fhir.resource_type", resourceType);
        var cost = OperationCost.Current;
        cost?.RequestStarted();
        var clock = Stopwatch.StartNew();
        var status = "error";
        try
        {
            var response = await base.SendAsync(request, cancellationToken);
            status = ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
            activity?.SetTag("http.response.status_code", (int)response.StatusCode);
            return response;
        }
        finally
        {
            clock.Stop();
            cost?.RequestEnded();
            var tags = new TagList { { "http.request.method", request.Method.Method }, { "fhir.resource_type", resourceType }, { "http.response.status_code", status } };
            GatewayTelemetry.FhirRequests.Add(1, tags);
            GatewayTelemetry.FhirRequestDuration.Record(clock.Elapsed.TotalMilliseconds, tags);
        }
    }
}
