"""Operations of tendering, one module per area."""
