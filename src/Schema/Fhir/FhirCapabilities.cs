using Hl7.Fhir.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Scheduling.Schema.Fhir;

/// <summary>
/// Which <c>_include</c>/<c>_revinclude</c> a FHIR server says it supports, per resource type, as its
/// CapabilityStatement lists them (<c>rest.resource.searchInclude</c>, <c>searchRevInclude</c>; <c>*</c> for all).
/// An include is looked up on the type whose references it follows, a reverse include on the type pointed at.
/// </summary>
public sealed class IncludeSupport
{
    public static readonly IncludeSupport None = new(new Dictionary<string, (HashSet<string>, HashSet<string>)>(), all: false);
    public static readonly IncludeSupport All = new(new Dictionary<string, (HashSet<string>, HashSet<string>)>(), all: true);

    private readonly Dictionary<string, (HashSet<string> Includes, HashSet<string> RevIncludes)> _byType;
    private readonly bool _all;

    private IncludeSupport(Dictionary<string, (HashSet<string>, HashSet<string>)> byType, bool all)
    {
        _byType = byType;
        _all = all;
    }

    /// <summary>What a CapabilityStatement's REST server part lists; none when it lists nothing.</summary>
    public static IncludeSupport From(CapabilityStatement? statement)
    {
        var byType = new Dictionary<string, (HashSet<string>, HashSet<string>)>(StringComparer.Ordinal);
        foreach (var resource in statement?.Rest.Where(r => r.Mode is null or CapabilityStatement.RestfulCapabilityMode.Server).SelectMany(r => r.Resource) ?? [])
        {
            if (resource.Type is not { } type)
            {
                continue;
            }

            if (!byType.TryGetValue(type, out var sets))
            {
                sets = (new HashSet<string>(StringComparer.Ordinal), new HashSet<string>(StringComparer.Ordinal));
                byType[type] = sets;
            }

            var (includes, revIncludes) = sets;
            includes.UnionWith(resource.SearchInclude.Where(v => !string.IsNullOrWhiteSpace(v)).Select(v => v!.Trim()));
            revIncludes.UnionWith(resource.SearchRevInclude.Where(v => !string.IsNullOrWhiteSpace(v)).Select(v => v!.Trim()));
        }

        return byType.Values.Any(s => s.Item1.Count > 0 || s.Item2.Count > 0) ? new IncludeSupport(byType, all: false) : None;
    }

    public bool IsEmpty => !_all && _byType.Count == 0;

    /// <summary>
    /// Whether <c>_include=source:parameter</c> (or <c>_revinclude</c> when <paramref name="reverse"/>) may be sent;
    /// <paramref name="owner"/> is the type pointed at.
    /// </summary>
    public bool Supports(bool reverse, string source, string parameter, string owner)
    {
        if (_all)
        {
            return true;
        }

        var listedOn = reverse ? owner : source;
        if (!_byType.TryGetValue(listedOn, out var sets))
        {
            return false;
        }

        var listed = reverse ? sets.RevIncludes : sets.Includes;
        var value = source + ":" + parameter;
        return listed.Contains("*") || listed.Contains(value) || listed.Contains(value + ":" + owner);
    }

    /// <summary>
    /// The statement a store that answers every reference parameter of FHIR R4 as an include and a reverse include
    /// publishes (the embedded store): each reference parameter listed on its own type and on every type it can point at.
    /// </summary>
    public static CapabilityStatement StatementForEveryReferenceParameter(string software)
    {
        var includes = new Dictionary<string, (SortedSet<string> Includes, SortedSet<string> RevIncludes)>(StringComparer.Ordinal);
        (SortedSet<string>, SortedSet<string>) Entry(string type) =>
            includes.TryGetValue(type, out var sets) ? sets : includes[type] = (new(StringComparer.Ordinal), new(StringComparer.Ordinal));
        foreach (var parameter in ModelInfo.SearchParameters.Where(p => p.Type == SearchParamType.Reference && p.Resource is not null && p.Name is not null))
        {
            var value = parameter.Resource + ":" + parameter.Name;
            Entry(parameter.Resource!).Item1.Add(value);
            foreach (var target in parameter.Target ?? [])
            {
                Entry(target.ToString()).Item2.Add(value);
            }
        }

        return new CapabilityStatement
        {
            Status = PublicationStatus.Active,
            Kind = CapabilityStatementKind.Instance,
            Date = "2026-01-01",
            FhirVersion = FHIRVersion.N4_0_1,
            Format = ["json"],
            Software = new CapabilityStatement.SoftwareComponent { Name = software },
            Rest =
            [
                new CapabilityStatement.RestComponent
                {
                    Mode = CapabilityStatement.RestfulCapabilityMode.Server,
                    Resource = [.. includes.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => new CapabilityStatement.ResourceComponent
                    {
                        Type = e.Key,
                        SearchInclude = [.. e.Value.Includes],
                        SearchRevInclude = [.. e.Value.RevIncludes],
                    })],
                },
            ],
        };
    }
}

/// <summary>
/// The server's include support as <c>Fhir:Includes</c> decides it: <c>On</c> all, <c>Off</c> none, <c>Auto</c> what
/// the CapabilityStatement (<c>GET metadata</c>) lists, read once per process and kept. A statement that cannot be read
/// (no <c>metadata</c>, an error) counts as no support and is asked again after <see cref="RetryAfter"/>.
/// </summary>
public sealed partial class FhirCapabilities(IOptions<FhirOptions> fhir, TimeProvider time, ILogger<FhirCapabilities> logger) : IDisposable
{
    public static readonly TimeSpan RetryAfter = TimeSpan.FromMinutes(1);

    private readonly SemaphoreSlim _reading = new(1, 1);
    private readonly Lock _state = new();
    private IncludeSupport? _read;
    private bool _failed;
    private DateTimeOffset _retryAt;

    /// <summary>The include support, reading the statement through <paramref name="store"/> the first time <c>Auto</c> needs it.</summary>
    public async ValueTask<IncludeSupport> IncludesAsync(IFhirStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        switch (fhir.Value.Includes)
        {
            case FhirIncludes.On:
                return IncludeSupport.All;
            case FhirIncludes.Off:
                return IncludeSupport.None;
        }

        if (Known() is { } known)
        {
            return known;
        }

        await _reading.WaitAsync(cancellationToken);
        try
        {
            if (Known() is { } again)
            {
                return again;
            }

            IncludeSupport support;
            var failed = false;
            try
            {
                support = IncludeSupport.From(await store.ReadCapabilitiesAsync(cancellationToken));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogUnreadable(logger, e);
                support = IncludeSupport.None;
                failed = true;
            }

            lock (_state)
            {
                (_read, _failed, _retryAt) = (support, failed, time.GetUtcNow() + RetryAfter);
            }

            return support;
        }
        finally
        {
            _reading.Release();
        }
    }

    private IncludeSupport? Known()
    {
        lock (_state)
        {
            return _read is { } read && (!_failed || time.GetUtcNow() < _retryAt) ? read : null;
        }
    }

    public void Dispose() => _reading.Dispose();

    [LoggerMessage(Level = LogLevel.Warning, Message = "The FHIR server's CapabilityStatement could not be read; searches go without includes for now")]
    private static partial void LogUnreadable(ILogger logger, Exception exception);
}
