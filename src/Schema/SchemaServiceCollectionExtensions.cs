using GraphQL;
using GraphQL.Execution;
using GraphQL.Validation;
using GraphQL.Validation.Rules.Custom;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Caching;
using StackExchange.Redis;
using Microsoft.Extensions.Options;
using Scheduling.Schema.Appointments;
using Scheduling.Schema.Authorization;
using Scheduling.Schema.Common;
using Scheduling.Schema.Schedules;
using Scheduling.Schema.Subscriptions;
using Scheduling.Schema.DataLoading;
using Scheduling.Schema.Execution;
using Scheduling.Schema.Telemetry;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Waitlist;
using Scheduling.Schema.Webhooks;

namespace Scheduling.Schema;

public static class SchemaServiceCollectionExtensions
{
    /// <summary>The GraphQL schema, its request-scoped DataLoaders and FHIR access: everything but transport.</summary>
    public static IServiceCollection AddSchedulingSchema(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var redisConfigured = configuration.GetSection(RedisOptions.SectionName).Get<RedisOptions>()?.IsConfigured == true;
        services.AddFhirAccess();
        services.AddOptions<GraphQLOptions>()
            .BindConfiguration(GraphQLOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<OperationLimitsRule>();
        services.AddOptions<DataLoaderOptions>().BindConfiguration(DataLoaderOptions.SectionName);
        services.AddScoped<ResourceByIdDataLoader>();
        services.AddScoped<ReferencingResourcesDataLoader>();
        services.AddScoped<SeriesMembersDataLoader>();
        services.AddScoped<Planning.QueryPlanner>();
        services.AddScoped<SchedulingAccess>();

        services.AddOptions<BookingOptions>()
            .BindConfiguration(BookingOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IBookingRule, MinimumLeadTimeRule>();
        services.AddSingleton<IBookingRule, MaximumDaysAheadRule>();
        services.AddSingleton<IBookingRule, MaxOpenBookingsRule>();
        services.AddSingleton<IBookingRule, MinimumRescheduleNoticeRule>();
        services.AddSingleton<IBookingRule, PractitionerCapsRule>();
        services.AddSingleton<IBookingRule, PatientPeriodCapRule>();
        services.AddScoped<BookingRules>();
        services.AddScoped<AppointmentChanges>();
        services.AddScoped<SlotReservation>();
        services.AddScoped<RuleSlots>();
        services.AddScoped<BookingChecks>();
        services.AddScoped<AppointmentTimeTaking>();
        services.AddScoped<SpanGuards>();
        services.AddSingleton<ContendedRetry>();
        services.AddScoped<TimeTaking>();
        services.AddScoped<BookHandler>();
        services.AddScoped<HoldHandler>();
        services.AddScoped<ConfirmHandler>();
        services.AddScoped<CancelHandler>();
        services.AddScoped<HoldExpiry>();
        services.AddScoped<RescheduleHandler>();
        services.AddScoped<StatusChangeHandler>();
        services.AddScoped<RespondHandler>();
        services.AddScoped<Booking.Series.SeriesBooking>();
        services.AddScoped<Booking.Series.SeriesCancel>();
        services.AddScoped<Booking.Series.SeriesReschedule>();
        services.AddScoped<SeriesReads>();
        services.AddScoped<AvailabilitySearch>();
        services.AddScoped<RequiredAvailability>();
        services.AddOptions<Booking.MultiResource.PoolAssignmentOptions>()
            .BindConfiguration(Booking.MultiResource.PoolAssignmentOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddScoped<ScheduleManagement>();
        services.AddOptions<SlotGenerationOptions>()
            .BindConfiguration(SlotGenerationOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddScoped<ScheduleChanges>();
        services.AddScoped<CreateSlotsHandler>();
        services.AddScoped<BlockHandler>();
        services.AddScoped<UnblockHandler>();
        services.AddScoped<DeleteSlotsHandler>();
        services.AddHostedService<HoldExpirySweeper>();
        services.AddScoped<ChangeIntentRepair>();
        services.AddHostedService<ChangeIntentSweeper>();

        // Live updates: the hub, the bus between instances (Redis when configured), gateway writes announced,
        // and the change feed for writes made on the FHIR server directly.
        services.AddOptions<RedisOptions>().BindConfiguration(RedisOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ChangeFeedOptions>().BindConfiguration(ChangeFeedOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ChangeHistoryOptions>().BindConfiguration(ChangeHistoryOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<GatewayInstance>();
        if (redisConfigured)
        {
            services.AddSingleton<RedisConnection>();
            services.AddSingleton<IChangeBus, RedisChangeBus>();
            // The cache's second level: Redis, over the same connection as the bus.
            services.AddStackExchangeRedisCache(_ => { });
            services.AddOptions<RedisCacheOptions>().Configure<RedisConnection>((cache, redis) =>
            {
                cache.InstanceName = "scheduling-gateway:";
                cache.ConnectionMultiplexerFactory = () => Task.FromResult<IConnectionMultiplexer>(redis.Multiplexer);
            });
        }
        else
        {
            services.AddSingleton<IChangeBus, InProcessChangeBus>();
        }

        services.AddOptions<CacheOptions>().BindConfiguration(CacheOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddHybridCache();
        services.AddSingleton<FhirResourceCache>();
        services.AddHostedService<CacheInvalidator>();
        services.AddSingleton<ChangeHub>();
        services.AddScoped<IFhirStore>(provider => new PublishingFhirStore(
            provider.GetRequiredKeyedService<IFhirStore>(FhirServiceKeys.Upstream), provider.GetRequiredService<ChangeHub>()));
        services.AddSingleton<ChangeFeed>();
        services.AddHostedService(provider => provider.GetRequiredService<ChangeFeed>());
        services.AddWebhooks(redisConfigured);
        services.AddWaitlist(redisConfigured);

        // Generic graph types are closed per node type; the container builds them on demand.
        services.AddTransient(typeof(ConnectionGraphType<,>));
        services.AddTransient(typeof(EdgeGraphType<,>));

        services.AddGraphQL(graphQL => graphQL
            .AddSchema<SchedulingSchema>()
            .AddGraphTypes(typeof(SchedulingSchema).Assembly)
            .AddSystemTextJson()
            .AddErrorInfoProvider(options =>
            {
                // One stable code per error; the chain of inner exception types is an implementation detail.
                options.ExposeExceptionDetails = false;
                options.ExposeCodes = false;
            })
            .AddComplexityAnalyzer((complexity, provider) =>
            {
                var limits = provider.GetRequiredService<IOptions<GraphQLOptions>>().Value;
                complexity.MaxDepth = limits.MaxDepth;
                complexity.MaxComplexity = limits.MaxComplexity;
            })
            // Outermost first: cardinality judges what access lets through, so a hidden resource is never named.
            .UseMiddleware<CardinalityFieldMiddleware>()
            .UseMiddleware<AccessFieldMiddleware>()
            .ConfigureExecutionOptions(execution =>
            {
                // The operation's caller, for every check made while it runs and, if so set, for the FHIR server
                // (each operation has its own scope).
                if (execution.RequestServices is { } scope)
                {
                    scope.GetRequiredService<CallerCredentials>().BearerToken = CallerCredentials.TokenOf(execution.User);
                    var access = scope.GetRequiredService<SchedulingAccess>();
                    access.Caller = SchedulingCaller.From(execution.User, scope.GetRequiredService<IOptions<FhirOptions>>().Value.TrustedFhirUserBases);
                    execution.UserContext[SchedulingAccess.UserContextKey] = access; // read on every field (SchedulingAccess.Of)
                    execution.UserContext[OperationServices.UserContextKey] = new OperationServices(scope, access); // likewise (ResolveContextExtensions)
                }

                // The operation's size first (it stops validation when over a limit), then GraphQL's own rules.
                if (execution.RequestServices is { } provider)
                {
                    IEnumerable<IValidationRule> rules = [provider.GetRequiredService<OperationLimitsRule>(), .. execution.ValidationRules ?? DocumentValidator.CoreRules];
                    execution.ValidationRules = IntrospectionAllowed(provider) ? rules : rules.Append(NoIntrospectionValidationRule.Instance);
                }
            })
            .ConfigureExecution<ErrorCap>()
            .ConfigureExecution<ScalarInputErrors>()
            .AddValidationRule<OneOfInputs>()
            .ConfigureExecution<OneOfInputErrors>()
            .AddUnhandledExceptionHandler(context =>
            {
                // Our FHIR exceptions carry messages written for clients; anything else stays generic.
                if (context.OriginalException is FhirException fhir)
                {
                    var environment = context.ExecutionOptions.RequestServices?.GetService<Microsoft.Extensions.Hosting.IHostEnvironment>();
                    context.ErrorMessage = fhir.UpstreamDetail is { } detail && environment is not null && InternalsVisibility.For(context.ExecutionOptions.User, environment)
                        ? $"{fhir.Message} {detail}"
                        : fhir.Message;
                }
            }));
        return services;
    }

    /// <summary>Introspection is for IDEs: on in Development unless <c>GraphQL:EnableIntrospection</c> says otherwise.</summary>
    private static bool IntrospectionAllowed(IServiceProvider provider) =>
        provider.GetRequiredService<IOptions<GraphQLOptions>>().Value.EnableIntrospection ??
        provider.GetRequiredService<Microsoft.Extensions.Hosting.IHostEnvironment>().EnvironmentName == "Development";
}
