using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Scheduling.Testing;
using Scheduling.Tests.Queries;

namespace Scheduling.Tests.Http;

/// <summary>The GraphQL-over-HTTP behaviours the gateway promises, each asserted on the wire.</summary>
public sealed class GraphQLOverHttpTests(EmbeddedGatewayFixture fixture) : IClassFixture<EmbeddedGatewayFixture>
{
    private HttpClient Client => fixture.Gateway.Client;

    [Fact]
    public async Task GET_runs_a_query_with_url_encoded_variables()
    {
        var url = "/graphql?query=" + Uri.EscapeDataString("query($id: ID!) { practitioner(id: $id) { displayName } }") +
                  "&variables=" + Uri.EscapeDataString("""{"id":"alice-smith"}""");
        using var response = await Client.GetAsync(url);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("Dr. Alice Smith", body.At("data.practitioner.displayName")!.GetValue<string>());
    }

    [Fact]
    public async Task GET_refuses_a_mutation_with_405_and_Allow_POST()
    {
        using var response = await Client.GetAsync("/graphql?query=" + Uri.EscapeDataString("mutation { __typename }"));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal(["POST"], response.Content.Headers.Allow);
    }

    [Fact]
    public async Task A_malformed_query_is_a_400_with_the_parse_error_for_graphql_response_json()
    {
        using var response = await Send("""{"query":"{ schedule(id: \"x\") { id "}""", accept: "application/graphql-response+json");
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/graphql-response+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Null(body["data"]);
        Assert.Equal("SYNTAX_ERROR", body.At("errors.0.extensions.code")!.GetValue<string>());
        Assert.NotNull(body.At("errors.0.locations"));
    }

    [Fact]
    public async Task A_malformed_query_is_a_200_with_errors_for_legacy_application_json()
    {
        using var response = await Send("""{"query":"{ schedule("}""", accept: "application/json");
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("SYNTAX_ERROR", body.At("errors.0.extensions.code")!.GetValue<string>());
    }

    [Theory]
    [InlineData(null, "{\"query\":\"{ __typename }\"}", HttpStatusCode.UnsupportedMediaType)]
    [InlineData("text/plain", "{ __typename }", HttpStatusCode.UnsupportedMediaType)]
    [InlineData("application/json; charset=utf-16", "{\"query\":\"{ __typename }\"}", HttpStatusCode.UnsupportedMediaType)]
    [InlineData("application/json", "{ \"not json", HttpStatusCode.BadRequest)]
    [InlineData("application/json", "[1,2]", HttpStatusCode.BadRequest)]
    [InlineData("application/json", "{\"query\": 1}", HttpStatusCode.BadRequest)]
    [InlineData("application/json", "{\"query\":\"{ __typename }\",\"variables\":[]}", HttpStatusCode.BadRequest)]
    [InlineData("application/json", "{\"query\":\"{ __typename }\",\"operationName\":{}}", HttpStatusCode.BadRequest)]
    [InlineData("application/json", "", HttpStatusCode.BadRequest)]
    public async Task Bad_requests_get_a_4xx_with_an_error_in_the_spec_shape(string? contentType, string body, HttpStatusCode expected)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql") { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)) };
        if (contentType is not null)
        {
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        using var response = await Client.SendAsync(request);
        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(expected, response.StatusCode);
        Assert.False(string.IsNullOrEmpty(json.At("errors.0.message")!.GetValue<string>()));
        Assert.False(string.IsNullOrEmpty(json.At("errors.0.extensions.code")!.GetValue<string>()));
    }

    [Fact]
    public async Task A_body_over_the_size_limit_is_a_413_before_parsing()
    {
        var huge = "{\"query\":\"{ __typename }\",\"variables\":{\"x\":\"" + new string('a', 2 * 1024 * 1024) + "\"}}";
        using var response = await Send(huge);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task Other_methods_get_405_and_unacceptable_media_types_406()
    {
        using var put = await Client.PutAsync("/graphql", new StringContent("{}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, put.StatusCode);
        Assert.Equal(["GET", "POST"], put.Content.Headers.Allow);

        using var xml = await Send("""{"query":"{ __typename }"}""", accept: "application/xml");
        Assert.Equal(HttpStatusCode.NotAcceptable, xml.StatusCode);
    }

    [Fact]
    public async Task Operation_name_selects_among_several_operations()
    {
        using var response = await Send("""{"query":"query A { a: __typename } query B { b: __typename }","operationName":"B"}""");
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("Query", body.At("data.b")!.GetValue<string>());
        Assert.Null(body.At("data.a"));
    }

    private async Task<HttpResponseMessage> Send(string json, string accept = "application/graphql-response+json")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Accept.ParseAdd(accept);
        return await Client.SendAsync(request);
    }
}
