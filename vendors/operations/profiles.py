"""Operations of profiles."""
