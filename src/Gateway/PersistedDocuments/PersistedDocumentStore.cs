using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using GraphQL;
using GraphQL.DI;
using GraphQL.PersistedDocuments;
using Microsoft.Extensions.Options;

namespace Scheduling.Gateway.PersistedDocuments;

/// <summary>Bound from <c>GraphQL:PersistedDocuments</c>.</summary>
public sealed class PersistedDocumentSettings : IValidatableObject
{
    public const string SectionName = "GraphQL:PersistedDocuments";

    /// <summary>
    /// A JSON manifest <c>{"sha256:&lt;hex&gt;": "query …"}</c> (bare hex keys too), as client build tools emit it.
    /// Relative to the content root. Empty: no persisted documents.
    /// </summary>
    public string? Path { get; set; }

    /// <summary>Serve only documents from the manifest (by <c>documentId</c>), as for shipped mobile apps.</summary>
    public bool Only { get; set; }

    public string? ManifestPath(IHostEnvironment environment) =>
        string.IsNullOrWhiteSpace(Path) ? null : System.IO.Path.Combine(environment.ContentRootPath, Path);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Only && string.IsNullOrWhiteSpace(Path))
        {
            yield return new ValidationResult("GraphQL:PersistedDocuments:Only needs GraphQL:PersistedDocuments:Path.", [nameof(Path)]);
        }
    }
}

/// <summary>
/// The source of GraphQL.NET's persisted-document step: a manifest read once at start-up. Every entry's id must be the
/// SHA-256 of its text, so an id names exactly one document and a tampered manifest stops the start.
/// </summary>
public sealed class PersistedDocumentStore
{
    public const string Prefix = "sha256";

    private readonly Dictionary<string, string> _documents = [];

    public PersistedDocumentStore(IOptions<PersistedDocumentSettings> options, IHostEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(environment);
        OnlyPersisted = options.Value.Only;
        if (options.Value.ManifestPath(environment) is { } path)
        {
            // Checked at start-up by the settings' validation; here it can only succeed.
            _documents = Load(path, out _);
        }
    }

    /// <summary>The manifest's documents by hash; <paramref name="problem"/> says what is wrong with it, if anything.</summary>
    internal static Dictionary<string, string> Load(string path, out string? problem)
    {
        var documents = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        problem = null;
        if (!File.Exists(path))
        {
            problem = $"GraphQL:PersistedDocuments:Path: no file at '{path}'.";
            return documents;
        }

        try
        {
            using var manifest = JsonDocument.Parse(File.ReadAllBytes(path));
            foreach (var entry in manifest.RootElement.EnumerateObject())
            {
                var hash = entry.Name.StartsWith(Prefix + ":", StringComparison.OrdinalIgnoreCase) ? entry.Name[(Prefix.Length + 1)..] : entry.Name;
                var text = entry.Value.ValueKind == JsonValueKind.String ? entry.Value.GetString()! : string.Empty;
                if (!string.Equals(hash, HashOf(text), StringComparison.OrdinalIgnoreCase))
                {
                    problem = $"GraphQL:PersistedDocuments: the entry '{entry.Name}' in '{path}' is not the SHA-256 of its text.";
                    return documents;
                }

                documents[hash] = text;
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            problem = $"GraphQL:PersistedDocuments: '{path}' is not a JSON object of id to document: {e.Message}";
        }

        return documents;
    }

    public int Count => _documents.Count;

    public bool OnlyPersisted { get; }

    /// <summary>
    /// Whether a transport may hand the executer its already-parsed document. GraphQL.NET runs a given document
    /// without its persisted-document step, so in persisted-only mode the executer must get text (or an id) only.
    /// </summary>
    public bool MayPassParsedDocument(string? documentId) => documentId is null && !OnlyPersisted;

    /// <summary>The id a client sends for a document: <c>sha256:</c> and the lowercase hex SHA-256 of its UTF-8 text.</summary>
    public static string IdOf(string document) => Prefix + ":" + HashOf(document);

    /// <summary>The document an id names, for checks made before execution; null when unknown.</summary>
    public string? Find(string? documentId) =>
        documentId?.IndexOf(':', StringComparison.Ordinal) is > 0 and var colon ? Find(documentId[..colon], documentId[(colon + 1)..]) : null;

    /// <summary>The same lookup with the id already split, as GraphQL.NET's persisted-document step asks.</summary>
    public string? Find(string? prefix, string payload) => prefix == Prefix && _documents.TryGetValue(payload, out var text) ? text : null;

    private static string HashOf(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}

/// <summary>A missing or tampered manifest stops start-up, naming the setting.</summary>
internal sealed class PersistedDocumentSettingsValidator(IHostEnvironment environment) : IValidateOptions<PersistedDocumentSettings>
{
    public ValidateOptionsResult Validate(string? name, PersistedDocumentSettings options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.ManifestPath(environment) is not { } path)
        {
            return ValidateOptionsResult.Success;
        }

        PersistedDocumentStore.Load(path, out var problem);
        return problem is null ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problem);
    }
}

public static class PersistedDocumentExtensions
{
    public static IServiceCollection AddPersistedDocuments(this IServiceCollection services)
    {
        services.AddOptions<PersistedDocumentSettings>()
            .BindConfiguration(PersistedDocumentSettings.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<PersistedDocumentSettings>, PersistedDocumentSettingsValidator>();
        services.AddSingleton<PersistedDocumentStore>();
        // GraphQL.NET's persisted-document step in the executer, with our manifest as its source.
        services.AddSingleton<IConfigureExecution>(provider =>
        {
            var store = provider.GetRequiredService<PersistedDocumentStore>();
            var persisted = new PersistedDocumentOptions
            {
                AllowOnlyPersistedDocuments = provider.GetRequiredService<IOptions<PersistedDocumentSettings>>().Value.Only,
                GetQueryDelegate = (_, prefix, payload) => ValueTask.FromResult(store.Find(prefix, payload)),
            };
            persisted.AllowedPrefixes.Add(PersistedDocumentStore.Prefix);
            return new PersistedDocumentHandler(persisted);
        });
        return services;
    }
}
