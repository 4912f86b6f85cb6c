using System.Diagnostics;
using System.Text.RegularExpressions;
using Scheduling.Schema.Webhooks;

namespace Scheduling.Tests.Webhooks;

/// <summary>The README's Node.js verification recipe, run as written: it accepts a real signature and answers false, never throws, for the rest.</summary>
public sealed partial class ReadmeVerifyRecipeTests
{
    [Fact]
    public async Task The_readme_recipe_verifies_a_real_signature_and_returns_false_for_a_forged_or_malformed_one()
    {
        var readme = await File.ReadAllTextAsync(Path.Combine(RepoRoot(), "README.md"));
        var recipe = Recipe().Match(readme);
        Assert.True(recipe.Success, "README's Webhooks section has no ```js function verify(...) recipe");
        const string secret = "whsec_0123456789abcdef";
        var body = "{\"id\":\"1764028800123-0\"}";
        var header = WebhookSignature.Sign(secret, DateTimeOffset.UtcNow, System.Text.Encoding.UTF8.GetBytes(body));
        var t = header.Split(',')[0];
        var script = "const crypto = require('crypto');\n" + recipe.Groups[1].Value + $$"""
            const body = Buffer.from({{System.Text.Json.JsonSerializer.Serialize(body)}});
            const answers = [[{{Js(header)}}, true], [{{Js(t + ",v1=abc")}}, false], [{{Js(t + ",v1=" + new string('0', 64))}}, false], [{{Js(t)}}, false], [undefined, false]]
              .map(([h, expected]) => { try { return verify(h, body, {{Js(secret)}}) === expected; } catch (e) { return 'threw ' + e.message; } });
            console.log(JSON.stringify(answers));
            """;
        using var node = Process.Start(new ProcessStartInfo("node") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true })!;
        await node.StandardInput.WriteAsync(script);
        node.StandardInput.Close();
        var output = await node.StandardOutput.ReadToEndAsync();
        await node.WaitForExitAsync();
        Assert.Equal("[true,true,true,true,true]", output.Trim());
    }

    private static string Js(string value) => System.Text.Json.JsonSerializer.Serialize(value);

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "README.md")) && Directory.Exists(Path.Combine(dir.FullName, "src")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("No repository root above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex("```js\\n(\\s*function verify.*?)```", RegexOptions.Singleline)]
    private static partial Regex Recipe();
}
