using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Fhir;
using Scheduling.Testing;

namespace Scheduling.Tests.Model;

/// <summary>
/// Tells a test when the change a request makes starts writing: the gateway's upstream FHIR store is put behind an
/// <see cref="InterceptedFhirStore"/> which, at the first create, update, delete or transaction a request sends (not a
/// span guard made on first use: a create-if-none-exist), completes the signal the test registered under the
/// request's <see cref="Header"/>. <see cref="AbortingClientsModelTests"/> times its clients' going away from there,
/// so that they go away while the change's writes are in flight, whatever the reads before them took.
/// </summary>
public sealed class WriteWatch
{
    public const string Header = "X-Model-Request";

    private readonly ConcurrentDictionary<string, TaskCompletionSource> _expected = new(StringComparer.Ordinal);

    /// <summary>A mark for a request's header, and a task that completes when that request's first write is sent.</summary>
    public (string Mark, Task FirstWrite) Expect()
    {
        var mark = Guid.NewGuid().ToString("N");
        var first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _expected[mark] = first;
        return (mark, first.Task);
    }

    /// <summary>The request has its answer: a first write not seen by now never comes (the task is cancelled).</summary>
    public void Forget(string mark)
    {
        if (_expected.TryRemove(mark, out var first))
        {
            first.TrySetCanceled();
        }
    }

    /// <summary>Puts the gateway's upstream store (Medplum's, over REST) behind the watch.</summary>
    public void Watch(IServiceCollection services)
    {
        services.AddHttpContextAccessor();
        services.AddKeyedScoped<IFhirStore>(FhirServiceKeys.Upstream, (provider, _) => new InterceptedFhirStore(
            ActivatorUtilities.CreateInstance<RestFhirStore>(provider), (write, _) => Writing(provider.GetRequiredService<IHttpContextAccessor>(), write)));
    }

    /// <summary>A first write of a marked request: a create, update, delete or transaction, not a create-if-none-exist.</summary>
    private Task Writing(IHttpContextAccessor http, StoreWrite write)
    {
        if (write != StoreWrite.CreateIfNoneExist && http.HttpContext?.Request.Headers[Header].ToString() is { Length: > 0 } mark && _expected.TryGetValue(mark, out var first))
        {
            first.TrySetResult();
        }

        return Task.CompletedTask;
    }
}
