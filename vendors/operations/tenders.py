"""Operations of tenders."""
