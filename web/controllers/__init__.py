"""HTTP routes. Each controller turns HTTP into calls on ``market`` and back."""
