namespace FmriToImage.Tests;

public sealed class FmriToImageExceptionTests
{
    [Fact]
    public void Carries_message_and_inner_exception()
    {
        var inner = new InvalidOperationException("inner");
        var exception = new FmriToImageException("outer", inner);
        Assert.Equal("outer", exception.Message);
        Assert.Same(inner, exception.InnerException);
    }
}
