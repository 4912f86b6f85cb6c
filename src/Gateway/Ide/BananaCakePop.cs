using System.Net.Mime;
using System.Text.Json;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Scheduling.Gateway.Ide;

/// <summary>Bound from the <c>Ide</c> section.</summary>
public sealed class IdeOptions
{
    public const string SectionName = "Ide";

    /// <summary>Serve Banana Cake Pop to browsers at the GraphQL path. Unset: in Development only.</summary>
    public bool? Enabled { get; set; }

    /// <summary>Where the IDE's static build is, relative to the content root; the build installs it there (npm ci in ide-assets/).</summary>
    public string AssetsPath { get; set; } = "ide-assets/node_modules/@chillicream/bananacakepop-graphql-ide";

    /// <summary>
    /// The document a new IDE tab opens with: the week view. Banana Cake Pop 18.0.0 fills a new document from the
    /// config's <c>graphQLDocument</c> (and <c>variables</c>); it has no <c>document</c> key.
    /// </summary>
    public string Document { get; set; } = """
        # The week view: Dr. Alice Smith's week in the embedded store's example, and who is booked.
        query AliceSmithsWeek {
          schedule(id: "alice-smith-schedule") {
            comment
            slots(where: { start: { gte: "2024-06-03T00:00:00-04:00", lt: "2024-06-10T00:00:00-04:00" } }) {
              totalCount
              nodes { start end status appointments { nodes { description patient { displayName } } } }
            }
          }
        }
        """;
}

/// <summary>
/// Banana Cake Pop at the GraphQL path when a browser asks for HTML: its static build (no internet needed), with
/// a <c>bcp-config.json</c> that points it at this endpoint and its WebSocket. Without the build, a page that
/// says how to get it. Everything else at the path (GraphQL over HTTP and WebSocket) is untouched.
/// </summary>
public static class BananaCakePop
{
    public static IServiceCollection AddBananaCakePop(this IServiceCollection services)
    {
        services.AddOptions<IdeOptions>().BindConfiguration(IdeOptions.SectionName);
        return services;
    }

    public static WebApplication UseBananaCakePop(this WebApplication app, string path)
    {
        ArgumentNullException.ThrowIfNull(app);
        var settings = app.Services.GetRequiredService<IOptions<IdeOptions>>().Value;
        if (!(settings.Enabled ?? app.Environment.IsDevelopment()))
        {
            return app;
        }

        var assets = Path.Combine(app.Environment.ContentRootPath, settings.AssetsPath);
        var installed = File.Exists(Path.Combine(assets, "index.html"));
        var config = JsonSerializer.Serialize(new
        {
            title = "Scheduling Gateway",
            useBrowserUrlAsEndpoint = true,
            subscriptionProtocol = "graphql-transport-ws",
            graphQLDocument = settings.Document,
            includeCookies = false,
            disableTelemetry = true,
        });

        app.Use(async (context, next) =>
        {
            var request = context.Request;
            if (!HttpMethods.IsGet(request.Method) || !request.Path.StartsWithSegments(path, out var rest))
            {
                await next(context);
                return;
            }

            if (rest == "/bcp-config.json")
            {
                context.Response.ContentType = MediaTypeNames.Application.Json;
                await context.Response.WriteAsync(config);
            }
            else if ((rest == "/" || !rest.HasValue) && WantsHtml(context))
            {
                context.Response.ContentType = MediaTypeNames.Text.Html + "; charset=utf-8";
                context.Response.Headers.CacheControl = "no-cache";
                await context.Response.WriteAsync(installed ? IndexPage(assets, request.PathBase + path + "/") : MissingPage);
            }
            else
            {
                await next(context);
            }
        });

        if (installed)
        {
            // The IDE's scripts and styles, under the same path (its page refers to them relatively).
            app.UseStaticFiles(new StaticFileOptions { RequestPath = path, FileProvider = new PhysicalFileProvider(assets) });
        }

        return app;
    }

    /// <summary>A browser navigating here (Accept: text/html), not a GraphQL client, and no GraphQL request in the query string.</summary>
    private static bool WantsHtml(HttpContext context) =>
        !context.WebSockets.IsWebSocketRequest &&
        !context.Request.Query.ContainsKey("query") && !context.Request.Query.ContainsKey("documentId") &&
        context.Request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals(MediaTypeNames.Text.Html, StringComparison.OrdinalIgnoreCase));

    /// <summary>The IDE's page, its relative asset paths anchored under the GraphQL path with or without a trailing slash.</summary>
    private static string IndexPage(string assets, string baseHref) =>
        File.ReadAllText(Path.Combine(assets, "index.html"))
            .Replace("<head>", $"<head><base href=\"{System.Net.WebUtility.HtmlEncode(baseHref)}\">", StringComparison.Ordinal);

    private const string MissingPage = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>Scheduling Gateway: IDE not installed</title></head>
        <body style="font-family: sans-serif; max-width: 44em; margin: 3em auto; line-height: 1.5">
        <h1>Banana Cake Pop is not installed</h1>
        <p>This is the Scheduling Gateway's GraphQL endpoint. The IDE that explores it in the browser is installed by the
        gateway's build from npm, and that did not happen here (npm was missing or offline).</p>
        <p>Install it once, then restart the gateway:</p>
        <pre>npm ci --prefix src/Gateway/ide-assets</pre>
        <p>The endpoint itself works without it: POST GraphQL requests here, or connect a WebSocket (graphql-transport-ws).</p>
        </body></html>
        """;
}
