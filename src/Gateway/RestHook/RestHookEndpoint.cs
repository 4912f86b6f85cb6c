using System.Security.Cryptography;
using System.Text;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.Extensions.Options;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Subscriptions;

namespace Scheduling.Gateway.RestHook;

/// <summary>
/// Receives a FHIR R4 Subscription's rest-hook notifications. The FHIR server's Subscription carries the shared
/// secret in <c>channel.header</c> (<c>Authorization: Bearer &lt;secret&gt;</c>). A notification with the resource
/// (or a Bundle of them) has those resources read from the FHIR server and announced at once (never the posted
/// copy: the secret proves who sent it, not what the resource is); an empty one makes the change feed look now.
/// </summary>
public static class RestHookEndpoint
{
    public static void MapFhirRestHook(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = app.Services.GetRequiredService<IOptions<ChangeFeedOptions>>().Value;
        if (string.IsNullOrEmpty(options.RestHookSecret))
        {
            return;
        }

        // Servers post to the endpoint itself or append Type/id to it (and some PUT).
        app.MapMethods(options.RestHookPath, ["POST", "PUT"], ReceiveAsync);
        app.MapMethods(options.RestHookPath + "/{**resource}", ["POST", "PUT"], ReceiveAsync);
    }

    private static async Task<IResult> ReceiveAsync(HttpContext context, ChangeFeed feed, IOptions<ChangeFeedOptions> options)
    {
        if (!Authorized(context.Request, options.Value.RestHookSecret!))
        {
            return Results.Unauthorized();
        }

        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        if (string.IsNullOrWhiteSpace(body))
        {
            feed.Nudge();
            return Results.Accepted();
        }

        Resource resource;
        try
        {
            resource = FhirJson.Parse(body);
        }
        catch (Exception e) when (FhirJson.IsRefusal(e))
        {
            return Results.BadRequest(new { error = "Not a FHIR resource: " + e.Message });
        }

        // Only which resources changed is taken from the notification; what they are is read from the FHIR server.
        var resources = resource is Bundle bundle ? bundle.Entry.Select(e => e.Resource).OfType<Resource>() : [resource];
        try
        {
            await feed.AnnounceCurrentAsync(
                resources.Where(r => r is Appointment or Slot && FhirReference.IsValidId(r.Id)).Select(r => new FhirReference(r.TypeName, r.Id!)),
                context.RequestAborted);
        }
        catch (FhirException)
        {
            // The FHIR server did not answer: the feed looks again (and the server may retry the notification).
            feed.Nudge();
            return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
        }

        return Results.Ok();
    }

    private static bool Authorized(HttpRequest request, string secret)
    {
        var given = request.Headers.Authorization.ToString() is { } auth && auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            ? auth["Bearer ".Length..].Trim()
            : request.Headers["X-Hook-Secret"].ToString();
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(secret));
    }
}
