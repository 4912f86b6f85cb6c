using System.Security.Claims;
using Microsoft.Extensions.Hosting;
using Scheduling.Schema.Authorization;

namespace Scheduling.Schema.Telemetry;

/// <summary>
/// Who may see how the gateway works inside: FHIR request counts in Server-Timing, the FHIR server's own words in an
/// error. Admins, and everyone in Development; other callers get the duration and a plain message.
/// </summary>
public static class InternalsVisibility
{
    public static bool For(ClaimsPrincipal? caller, IHostEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return environment.IsDevelopment() || SchedulingCaller.From(caller).Role == CallerRole.Admin;
    }
}
