"""Operations of evaluation."""
