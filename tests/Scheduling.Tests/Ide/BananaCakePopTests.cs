using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Scheduling.Testing;

namespace Scheduling.Tests.Ide;

/// <summary>Banana Cake Pop at /graphql: a real headless Chromium loads it from the gateway, finds the example document, browses the schema and runs the example.</summary>
public sealed class BananaCakePopTests
{
    [Fact]
    public async Task A_browser_opens_the_IDE_with_the_example_document_browses_the_schema_runs_the_example_and_sees_its_result()
    {
        Prerequisites.Chromium();
        await using var gateway = await GatewayServer.StartAsync();
        var screenshot = Path.Combine(RepoPaths.Root, "TestResults", "banana-cake-pop.png");
        Directory.CreateDirectory(Path.GetDirectoryName(screenshot)!);
        File.Delete(screenshot);

        await using var browser = await NodeProcess.StartAsync("ide-browser-check.mjs", gateway.GraphQLUrl.ToString(), screenshot);
        var result = await browser.NextAsync(TimeSpan.FromSeconds(240)) ?? throw new InvalidOperationException("no result: " + browser.Stderr);
        Assert.True(result.GetProperty("event").GetString() == "result", result.GetRawText());

        Assert.EndsWith("Scheduling Gateway", result.GetProperty("title").GetString(), StringComparison.Ordinal);
        Assert.True(result.GetProperty("introspected").GetBoolean(), "the IDE loaded the schema");
        // A new document holds the week view (bcp-config.json's graphQLDocument: the key Banana Cake Pop 18.0.0 reads).
        Assert.True(result.GetProperty("exampleShown").GetBoolean(), "the new document holds the example: " + result.GetProperty("shown").GetString());
        var schemaBrowser = result.GetProperty("schemaBrowser");
        // BCP 18's own race may show "No Schema" once; the check reloads at most once, then the schema must be listed.
        Assert.False(schemaBrowser.GetProperty("noSchema").GetBoolean(), $"the schema browser says No Schema (after {result.GetProperty("reloads").GetInt32()} reload)");
        Assert.True(schemaBrowser.GetProperty("showsAppointment").GetBoolean(), "the schema browser lists Appointment");
        Assert.True(result.GetProperty("ranQuery").GetBoolean(), "the IDE sent the example");
        var shown = result.GetProperty("shown").GetString();
        Assert.Contains("\"displayName\": \"Homer Simpson\"", shown, StringComparison.Ordinal);
        // Everything came from the gateway: the IDE works with no internet.
        Assert.Equal([gateway.BaseAddress.Authority], result.GetProperty("hosts").EnumerateArray().Select(h => h.GetString()));
        Assert.True(new FileInfo(screenshot).Length > 10_000, "the screenshot was saved");
    }

    [Fact]
    public async Task Without_the_IDEs_files_a_browser_gets_a_page_saying_how_to_install_them_and_GraphQL_clients_are_unaffected()
    {
        var empty = Directory.CreateTempSubdirectory("no-ide-").FullName;
        try
        {
            await using var gateway = await GatewayServer.StartAsync(new Dictionary<string, string?> { ["Ide:AssetsPath"] = empty });
            using var page = await GetHtmlAsync(gateway);
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Contains("npm ci --prefix src/Gateway/ide-assets", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.Null((await gateway.QueryAsync("{ practitioners(first: 1) { nodes { id } } }"))["errors"]);
        }
        finally
        {
            Directory.Delete(empty, recursive: true);
        }
    }

    [Fact]
    public async Task The_IDE_is_served_with_its_config_in_Development_and_not_in_Production_unless_enabled()
    {
        await using var development = await GatewayServer.StartAsync();
        using (var page = await GetHtmlAsync(development))
        {
            Assert.Contains("<title>Banana Cake Pop</title>", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using var config = JsonDocument.Parse(await development.Client.GetStringAsync(new Uri("/graphql/bcp-config.json", UriKind.Relative)));
        Assert.True(config.RootElement.GetProperty("useBrowserUrlAsEndpoint").GetBoolean());
        Assert.Equal("graphql-transport-ws", config.RootElement.GetProperty("subscriptionProtocol").GetString());

        await using var production = await GatewayServer.StartAsync(new Dictionary<string, string?> { ["Auth:AllowAnonymous"] = "true" }, environment: "Production");
        using var none = await GetHtmlAsync(production);
        Assert.DoesNotContain("Banana Cake Pop", await none.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static async Task<HttpResponseMessage> GetHtmlAsync(GatewayServer gateway)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/graphql");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/html"));
        return await gateway.Client.SendAsync(request);
    }
}
