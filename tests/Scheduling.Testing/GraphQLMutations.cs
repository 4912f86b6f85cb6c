using System.Globalization;
using System.Text.Json.Nodes;

namespace Scheduling.Testing;

/// <summary>A mutation with one input object and its typed errors, and the small readers its tests share.</summary>
public static class GraphQLMutations
{
    /// <summary>The errors selection every mutation test reads: type, code, message, field and rule.</summary>
    public const string Errors = "errors { __typename ... on Error { code message } ... on ValidationError { field rule } }";

    /// <summary>The mutations whose error union holds BookingRuleError (a fragment on it elsewhere is invalid).</summary>
    private static readonly HashSet<string> RuleJudged =
        ["bookAppointment", "holdSlots", "cancelAppointment", "rescheduleAppointment", "respondToAppointment", "bookSeries"];

    /// <summary><see cref="Errors"/>, with the booking rule's name and limit where the mutation can be refused by one.</summary>
    public static string ErrorsOf(string field) =>
        RuleJudged.Contains(field) ? Errors[..^2] + " ... on BookingRuleError { rule limit } }" : Errors;

    /// <summary>Runs <c>field(input: $input) { selection errors }</c> (as the bearer of <paramref name="bearerToken"/>, if any); a top-level error fails the test.</summary>
    public static async Task<JsonNode> MutateAsync(this GatewayServer gateway, string field, string inputType, object input, string selection, string? bearerToken = null)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        var response = await gateway.QueryAsync($"mutation($input: {inputType}!) {{ {field}(input: $input) {{ {selection} {ErrorsOf(field)} }} }}", new { input }, bearerToken);
        if (response["errors"] is not null)
        {
            throw new InvalidOperationException("Top-level errors: " + response.ToJsonString());
        }

        return response.At("data." + field)!;
    }

    /// <summary>An instant as the DateTime scalar takes it, with its offset.</summary>
    public static string Iso(DateTimeOffset value) => value.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);

    /// <summary>A string at a path, or a failure naming what was there instead.</summary>
    public static string Str(JsonNode? node, string path) =>
        node.At(path)?.GetValue<string>() ?? throw new InvalidOperationException($"{path} missing in {node?.ToJsonString()}");
}
