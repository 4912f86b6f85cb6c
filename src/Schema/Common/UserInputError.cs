using GraphQL;

namespace Scheduling.Schema.Common;

/// <summary>A bad argument: reported on the field with code <c>BAD_USER_INPUT</c>.</summary>
public sealed class UserInputError : ExecutionError
{
    public UserInputError(string message)
        : base(message) => Code = "BAD_USER_INPUT";
}
